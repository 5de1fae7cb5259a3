"""The audit's own ABI decoder against web3's, on every log of the honest history and on view answers."""

from __future__ import annotations

from typing import Any

from audit_history import HonestHistory
from web3 import Web3

from cts.audit.abi import CONTRACTS, EventDecoder, decode_result, encode_call


def normalised(value: Any) -> Any:
    """web3's decoding, shaped like the audit's: addresses in lower case, structs as dicts, lists."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalised(v) for v in value]
    return value


def test_every_log_decodes_as_web3_decodes_it(w3: Web3, honest: HonestHistory) -> None:
    handles = {
        key: getattr(honest.handles, attribute)
        for key, attribute in (
            ("registry", "registry"),
            ("token", "token"),
            ("usefulCases", "cases"),
            ("balancedVote", "vote"),
            ("fund", "fund"),
        )
    }
    decoder = EventDecoder({key: (c.address, CONTRACTS[key]) for key, c in handles.items()})
    logs = w3.eth.get_logs(
        {
            "fromBlock": honest.handles.entry.block,
            "toBlock": honest.last_block,
            "address": [c.address for c in handles.values()],
        }
    )
    decoded_names = set()
    for log in logs:
        raw = {
            "address": log["address"],
            "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
            "data": "0x" + bytes(log["data"]).hex(),
            "blockNumber": hex(log["blockNumber"]),
            "logIndex": hex(log["logIndex"]),
        }
        ours = decoder.decode(raw)
        assert ours is not None
        contract = handles[ours.contract]
        theirs = getattr(contract.events, ours.name)().process_log(log)
        assert ours.args == normalised(dict(theirs["args"])), ours.name
        decoded_names.add(ours.name)
    assert {
        "BallotCast",
        "ProgrammeCreated",
        "RoundCreated",
        "ProjectFunded",
        "LoanRepaid",
        "Transfer",
    } <= decoded_names


def test_view_answers_decode_as_web3_decodes_them(w3: Web3, honest: HonestHistory) -> None:
    vote, fund = honest.handles.vote, honest.handles.fund
    cases = [
        (vote, "BalancedVote", "round", (1,)),
        (vote, "BalancedVote", "project", (1, 2)),
        (vote, "BalancedVote", "ballotOf", (1, 1)),
        (vote, "BalancedVote", "previewAllocation", (3,)),
        (fund, "CommunityFund", "loan", (1,)),
        (fund, "CommunityFund", "ledger", ()),
        (honest.handles.cases, "UsefulCaseContract", "programme", (1,)),
        (honest.handles.cases, "UsefulCaseContract", "verifiersOf", (1,)),
        (honest.handles.registry, "ResidentRegistry", "residentOf", (honest.migrated_to,)),
    ]
    for contract, artifact, function, args in cases:
        data = w3.eth.call({"to": contract.address, "data": encode_call(artifact, function, args)})
        ours = decode_result(artifact, function, "0x" + bytes(data).hex())
        theirs = getattr(contract.functions, function)(*args).call()
        outputs = getattr(contract.functions, function).abi["outputs"]
        if len(outputs) == 1 and outputs[0]["type"] == "tuple":
            names = [c["name"] for c in outputs[0]["components"]]
            assert normalised(ours) == normalised(_as_dict(outputs[0]["components"], theirs)), function
            assert list(ours) == names
        elif len(outputs) > 1:
            assert normalised(list(ours.values())) == normalised(list(theirs)), function
        else:
            assert normalised(ours) == normalised(theirs), function


def _as_dict(components: list[dict[str, Any]], values: Any) -> dict[str, Any]:
    result = {}
    for component, value in zip(components, values, strict=True):
        if component["type"] == "tuple":
            value = _as_dict(component["components"], value)
        result[component["name"]] = value
    return result
