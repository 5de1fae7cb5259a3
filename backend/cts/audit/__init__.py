"""The auditors' tools: a second, independent reckoning of a hromada from chain data alone.

An auditor trusts nothing but the chain. The audit reads the hromada's events (eth_getLogs) and replays
them into every figure the contracts keep, then reads the contracts' views at the same block and says
precisely where the two differ. It never reads the backend's database and shares no tally, allocation or
ledger code with the rest of the backend: the vote's arithmetic is written again here from the contracts'
NatSpec (docs/audit.md states every formula).

Layout:
    rpc.py        JSON-RPC client: batches, retries with backoff, what a refused log range looks like
    scan.py       eth_getLogs in bounded, adaptive block ranges, with a progress bar
    abi.py        decoding logs and encoding view calls from the compiled ABIs
    views.py      view calls at one block, in batches
    locate.py     the hromada's five contracts and its first block, from a manifest or any one address
    rules.py      weights and the three allocation rules, the impact ratio (independent implementation)
    model.py      the recomputed records, and Difference
    recompute.py  the event fold: residents, RV, programmes, cases, rounds, ballots, the fund's ledger
    compare.py    recomputed figures against the views; figures two recomputations must agree on
    audit.py      run_audit / replay and the printed summary
    mes.py        what the Method of Equal Shares would fund (pabutools), for comparison
    plots.py      the report's charts (matplotlib, inline SVG)
    report.py     `cts report`: self-contained HTML and JSON
    pabulib.py    `cts export-pabulib`: a round as a pabulib .pb file, and reading one back
    cli.py        the `cts audit`, `cts report` and `cts export-pabulib` commands
"""
