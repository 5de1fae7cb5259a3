"""Delivery of funded projects (issue 19, docs/delivery.md): the documents behind the hashes on chain, the
receipts and photos of reports, what the pages and the open data read from the chain."""
