"""Helpers for the useful-case tests: lifecycle constants, programmes, asserting that nothing changed.

Shared by test_programmes.py and test_cases.py.
"""

from __future__ import annotations

from contextlib import contextmanager

from brownie import chain, web3
from cts_helpers import programme_params

# IUsefulCaseContract.ProgrammeState (what programmeState() returns; the errors carry it too).
SCHEDULED, OPEN, ENDED, PAUSED, CLOSED = range(5)
# IUsefulCaseContract.ProgrammeStatus (what programme().status stores).
STATUS_ACTIVE, STATUS_PAUSED, STATUS_CLOSED = range(3)
# UsefulCaseContract.Decision (what decisionOf() returns).
UNDECIDED, APPROVED, REJECTED = range(3)

ADMIN_ROLE = b"\x00" * 32


def now() -> int:
    """The latest block's time: the earliest time the next transaction can carry.

    Not `chain.time()`: on Anvil a snapshot revert (after every test) rewinds the node's clock too, while
    Brownie's clock keeps the time spent between the snapshot and the revert; until the next transaction
    `chain.time()` runs that far ahead of the chain, and a window starting at it would still be Scheduled."""
    return web3.eth.get_block("latest")["timestamp"]


def mine_at(timestamp: int) -> None:
    """Mines one block at exactly `timestamp`, so that views read that time.

    On Anvil through the RPC itself: Brownie's `chain.mine(timestamp=...)` sends Anvil a malformed
    `evm_mine` request ("Invalid request")."""
    if "anvil" in web3.client_version.lower():
        web3.provider.make_request("evm_mine", [timestamp])
    else:
        chain.mine(timestamp=timestamp)
    assert web3.eth.get_block("latest")["timestamp"] == timestamp


def create_programme(cases, council, verifiers, **overrides) -> int:
    """Creates a programme (defaults of `programme_params`, open from now for 30 days) and returns its id."""
    tx = cases.createProgramme(programme_params(now(), verifiers, **overrides), {"from": council})
    return tx.return_value


def as_params(event_params) -> tuple:
    """A ProgrammeParams tuple decoded from an event, made comparable with one built by `programme_params`."""
    *fields, verifiers = plain(event_params)
    return (*fields, [str(v) for v in verifiers])


def plain(value):
    """A call's result as plain Python values (tuples, ints, bytes, str), to compare with `==`: Brownie's own
    ReturnValue comparison raises a TypeError on any string field (such as a programme's title)."""
    if isinstance(value, (tuple, list)):
        return tuple(plain(item) for item in value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


def hex32(value: bytes) -> str:
    """A bytes32 as "0x..." text: Brownie's event values compare with that, not with raw bytes."""
    return "0x" + bytes(value).hex()


def as_dict(value) -> dict:
    """A struct returned by a call, as a dict of plain values (see `plain`)."""
    return {name: plain(item) for name, item in value.dict().items()}


def _reading(cases, fund, token, programme_ids, case_ids):
    views = {
        "programmeCount": cases.programmeCount(),
        "caseCount": cases.caseCount(),
        "programmes": [(cases.programme(p), cases.verifiersOf(p)) for p in programme_ids],
        "cases": [cases.caseOf(c) for c in case_ids],
        "ledger": fund.ledger(),
        "supply": token.totalSupply(),
    }
    return {name: plain(value) for name, value in views.items()}


@contextmanager
def unchanged(cases, fund, token, programmes=(), case_ids=()):
    """Asserts that the block changes nothing: the programme and case counts, the given programmes (figures,
    status, quorum, verifiers) and cases (status, approvals, rejections), the fund's ledger (every issuance
    moves its token fund) and the RV supply. Put it outside `brownie.reverts(...)`, which swallows the revert
    first; one `unchanged` may span several reverts."""
    before = _reading(cases, fund, token, programmes, case_ids)
    yield
    assert _reading(cases, fund, token, programmes, case_ids) == before
