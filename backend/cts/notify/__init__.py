"""Notifications for residents (issue 20): a case decided, a round's voting opened or about to close, a
project's milestone; on the resident's page, and by e-mail through the configured SMTP server.

    events.py    record_event: one event, the people it concerns, once each, with their e-mails queued
    producer.py  what to tell, found on the chain (decided cases, rounds), per hromada
    sender.py    the outbox of e-mails sent through SMTP, never twice
    service.py   the loop of `cts notify run` (producer, then sender)
    cli.py       the command itself

docs/notifications.md tells how it fits together and what to configure.
"""
