"""Decoding the hromada's logs and encoding its view calls, from the compiled ABIs alone.

Events and call results come back as plain Python: integers, addresses in lower case, bytes, and dicts
named after the ABI's struct fields (``params["fundKopiyky"]``), so that the recomputation reads like the
NatSpec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cts.chain.artifacts import load_artifact

# A hromada's seven contracts: manifest key -> artifact name.
CONTRACTS: dict[str, str] = {
    "registry": "ResidentRegistry",
    "token": "RVToken",
    "usefulCases": "UsefulCaseContract",
    "balancedVote": "BalancedVote",
    "fund": "CommunityFund",
    "delivery": "ProjectDelivery",
    "coFinancing": "CoFinancing",
}


@cache
def checksum(address: str) -> str:
    return str(to_checksum_address(address))


def canonical_type(item: Mapping[str, Any]) -> str:
    """The ABI type as it appears in a signature: tuples spelled out, e.g. ``(uint128,uint40)[]``."""
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in item["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def to_python(item: Mapping[str, Any], value: Any) -> Any:
    """A value decoded by eth_abi, shaped like the audit's own decoder's: structs as dicts by field name,
    addresses in lower case."""
    kind = str(item["type"])
    if kind.endswith("]"):
        element = dict(item, type=kind[: kind.rindex("[")])
        return [to_python(element, v) for v in value]
    if kind == "tuple":
        return {c["name"]: to_python(c, v) for c, v in zip(item["components"], value, strict=True)}
    if kind == "address":
        return str(value).lower()
    return value


# ---------------------------------------------------------------------------- the ABI decoder
#
# The audit decodes hundreds of thousands of logs and view answers; eth_abi's general machinery costs
# tens of microseconds a value. This decoder is compiled once per event or function from its ABI into
# closures that slice 32-byte words (the head/tail layout of the Solidity ABI specification). Addresses
# stay in lower case inside the audit; they are checksummed only where people read them.

Decoder = Callable[[bytes, int], Any]


def _element(item: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(item["type"])
    return dict(item, type=kind[: kind.rindex("[")])


def _is_dynamic(item: Mapping[str, Any]) -> bool:
    kind = str(item["type"])
    if kind in ("bytes", "string") or kind.endswith("[]"):
        return True
    if kind.endswith("]"):
        return _is_dynamic(_element(item))
    if kind == "tuple":
        return any(_is_dynamic(c) for c in item["components"])
    return False


def _head_size(item: Mapping[str, Any]) -> int:
    """Bytes the item takes in its enclosing head (a dynamic item takes one pointer word)."""
    kind = str(item["type"])
    if _is_dynamic(item):
        return 32
    if kind.endswith("]"):
        return int(kind[kind.rindex("[") + 1 : -1]) * _head_size(_element(item))
    if kind == "tuple":
        return sum(_head_size(c) for c in item["components"])
    return 32


def _word(data: bytes, position: int) -> int:
    return int.from_bytes(data[position : position + 32], "big")


def _sequence(items: Sequence[Mapping[str, Any]]) -> Callable[[bytes, int], list[Any]]:
    """A decoder for consecutive items (a tuple's fields, or an array's elements) encoded at `base`."""
    parts: list[tuple[int, bool, Decoder]] = []
    offset = 0
    for item in items:
        parts.append((offset, _is_dynamic(item), _compile(item)))
        offset += _head_size(item)

    def decode(data: bytes, base: int) -> list[Any]:
        return [
            decoder(data, base + _word(data, base + off)) if dynamic else decoder(data, base + off)
            for off, dynamic, decoder in parts
        ]

    return decode


def _compile(item: Mapping[str, Any]) -> Decoder:
    kind = str(item["type"])
    if kind.endswith("[]"):
        element = _element(item)
        element_decoder = _compile(element)
        dynamic, size = _is_dynamic(element), _head_size(element)

        def decode_list(data: bytes, position: int) -> list[Any]:
            count, start = _word(data, position), position + 32
            if dynamic:
                return [element_decoder(data, start + _word(data, start + 32 * i)) for i in range(count)]
            return [element_decoder(data, start + size * i) for i in range(count)]

        return decode_list
    if kind.endswith("]"):
        count = int(kind[kind.rindex("[") + 1 : -1])
        sequence = _sequence([_element(item)] * count)
        return sequence
    if kind == "tuple":
        names = [c["name"] for c in item["components"]]
        fields = _sequence(item["components"])
        return lambda data, position: dict(zip(names, fields(data, position), strict=True))
    if kind == "address":
        return lambda data, position: "0x" + data[position + 12 : position + 32].hex()
    if kind == "bool":
        return lambda data, position: _word(data, position) != 0
    if kind.startswith("uint"):
        return _word
    if kind.startswith("int"):
        return lambda data, position: int.from_bytes(data[position : position + 32], "big", signed=True)
    if kind == "bytes":
        return lambda data, position: data[position + 32 : position + 32 + _word(data, position)]
    if kind == "string":
        raw_bytes = _compile(dict(item, type="bytes"))
        return lambda data, position: raw_bytes(data, position).decode("utf-8")
    if kind.startswith("bytes"):
        width = int(kind[len("bytes") :])
        return lambda data, position: data[position : position + width]
    raise ValueError(f"unsupported ABI type {kind}")


def _topic_decoder(kind: str) -> Callable[[str], Any]:
    """A decoder of one indexed value from its hex topic, chosen once per event input."""
    if kind.startswith("uint"):
        return lambda topic: int(topic, 16)
    if kind.startswith("int"):
        bits = int(kind[len("int") :] or 256)
        return lambda topic: int.from_bytes(bytes.fromhex(topic[2:])[-bits // 8 :], "big", signed=True)
    if kind == "address":
        return lambda topic: "0x" + topic[-40:].lower()
    if kind == "bool":
        return lambda topic: int(topic, 16) == 1
    return lambda topic: bytes.fromhex(topic[2:])  # bytes32, or the hash of an indexed dynamic value


class Event(NamedTuple):
    """One decoded log of the hromada, with where it sits in the chain (a named tuple: an audit decodes
    hundreds of thousands, and a tuple is made in C)."""

    contract: str
    name: str
    args: dict[str, Any]
    block: int
    log_index: int
    tx_hash: str

    @property
    def position(self) -> tuple[int, int]:
        return (self.block, self.log_index)


@dataclass(frozen=True)
class _EventSpec:
    name: str
    indexed: tuple[tuple[str, Callable[[str], Any]], ...]  # (name, its topic's decoder)
    data_names: tuple[str, ...]
    decode_data: Callable[[bytes, int], list[Any]]


def _event_specs(artifact: str) -> dict[str, _EventSpec]:
    specs: dict[str, _EventSpec] = {}
    for item in load_artifact(artifact).abi:
        if item.get("type") != "event" or item.get("anonymous"):
            continue
        inputs = item.get("inputs", [])
        signature = f"{item['name']}({','.join(canonical_type(i) for i in inputs)})"
        topic = "0x" + keccak(text=signature).hex()
        data_items = [i for i in inputs if not i.get("indexed")]
        specs[topic] = _EventSpec(
            name=item["name"],
            indexed=tuple((i["name"], _topic_decoder(str(i["type"]))) for i in inputs if i.get("indexed")),
            data_names=tuple(i["name"] for i in data_items),
            decode_data=_sequence(data_items),
        )
    return specs


def event_topic(artifact: str, name: str) -> str:
    """topic0 of an event, e.g. ``event_topic("HromadaFactory", "HromadaOnboarded")``."""
    for topic, spec in _event_specs(artifact).items():
        if spec.name == name:
            return topic
    raise KeyError(f"{artifact} has no event {name}")


class EventDecoder:
    """Decodes the logs of a set of contracts, known by address and artifact."""

    def __init__(self, contracts: Mapping[str, tuple[str, str]]) -> None:
        """`contracts`: key -> (address, artifact name)."""
        self._by_address: dict[str, tuple[str, dict[str, _EventSpec]]] = {
            address.lower(): (key, _event_specs(artifact)) for key, (address, artifact) in contracts.items()
        }
        self.unknown = 0

    def decode(self, log: Mapping[str, Any]) -> Event | None:
        """The event of a raw eth_getLogs entry; None for a log of another contract or an unknown topic."""
        # Nodes answer in lower case; the case-folded look-up is the fallback, not the rule (an audit decodes
        # hundreds of thousands of logs, and each step here is paid for each).
        address = log["address"]
        known = self._by_address.get(address) or self._by_address.get(str(address).lower())
        topics = log.get("topics")
        if known is None or not topics:
            return None
        key, specs = known
        spec = specs.get(topics[0]) or specs.get(str(topics[0]).lower())
        if spec is None:
            self.unknown += 1
            return None
        args: dict[str, Any] = {
            name: decode(topic) for (name, decode), topic in zip(spec.indexed, topics[1:], strict=True)
        }
        if spec.data_names:
            values = spec.decode_data(bytes.fromhex(log["data"][2:]), 0)
            args.update(zip(spec.data_names, values, strict=True))
        return Event(
            key,
            spec.name,
            args,
            int(log["blockNumber"], 16),
            int(log["logIndex"], 16),
            log.get("transactionHash") or "",
        )


@dataclass(frozen=True)
class FunctionSpec:
    """A function of an artifact, with its calldata encoder and its answer's decoder made once: the audit
    reads hundreds of thousands of views of a few dozen functions."""

    selector: bytes
    input_types: tuple[str, ...]
    output_names: tuple[str, ...]
    decode_outputs: Callable[[bytes, int], list[Any]]

    def calldata(self, args: Sequence[Any]) -> bytes:
        """Selector and arguments; words (uint, address, bool, bytes32) by hand, anything else by eth_abi."""
        try:
            pairs = zip(self.input_types, args, strict=True)
            encoded = b"".join(_encode_static(kind, value) for kind, value in pairs)
        except TypeError:
            encoded = abi_encode(list(self.input_types), list(args))
        return self.selector + encoded

    def answer(self, raw: bytes) -> Any:
        """The return value: one value as itself, several as a dict by output name."""
        if not raw and self.output_names:
            raise ValueError("the view returned no data")
        values = self.decode_outputs(raw, 0)
        if len(values) == 1:
            return values[0]
        return dict(zip(self.output_names, values, strict=True))


@cache
def _function_specs(artifact: str) -> dict[str, FunctionSpec]:
    specs: dict[str, FunctionSpec] = {}
    for item in load_artifact(artifact).abi:
        if item.get("type") != "function":
            continue
        inputs = tuple(canonical_type(i) for i in item.get("inputs", []))
        signature = f"{item['name']}({','.join(inputs)})"
        outputs = item.get("outputs", [])
        specs[item["name"]] = FunctionSpec(
            selector=keccak(text=signature)[:4],
            input_types=inputs,
            output_names=tuple(o.get("name") or str(i) for i, o in enumerate(outputs)),
            decode_outputs=_sequence(outputs),
        )
    return specs


def function_spec(artifact: str, function: str) -> FunctionSpec:
    """The function `function` of the compiled `artifact` (KeyError if it has none)."""
    return _function_specs(artifact)[function]


def _encode_static(kind: str, value: Any) -> bytes:
    if kind == "address":
        return bytes.fromhex(str(value)[2:]).rjust(32, b"\0")
    if kind.startswith("uint"):
        return int(value).to_bytes(32, "big")
    if kind == "bool":
        return (1 if value else 0).to_bytes(32, "big")
    if kind == "bytes32":
        return bytes(value)
    raise TypeError(kind)


def encode_call(artifact: str, function: str, args: Sequence[Any] = ()) -> str:
    """Calldata for a view; its arguments are words (uint, address, bool, bytes32), or eth_abi does it."""
    return "0x" + function_spec(artifact, function).calldata(args).hex()


def decode_result(artifact: str, function: str, data: str) -> Any:
    """A view's return value: one value as itself, several as a dict by output name."""
    return function_spec(artifact, function).answer(bytes.fromhex(data[2:]))


# ---------------------------------------------------------------------------- many views in one call
#
# contracts/audit/ViewBatch.sol reads a few hundred views in one eth_call (its code is given through the
# call's state override). Its argument, a `(address,bytes)[]`, is encoded here by hand: eth_abi would take
# longer than the node takes to answer.

VIEW_BATCH = "ViewBatch"


def _word_of(value: int) -> bytes:
    return value.to_bytes(32, "big")


def encode_view_batch(calls: Sequence[tuple[str, bytes]]) -> str:
    """Calldata of `ViewBatch.read(calls)` for (target address, calldata) pairs."""
    selector = _function_specs(VIEW_BATCH)["read"].selector
    offsets: list[bytes] = []
    tails: list[bytes] = []
    position = 32 * len(calls)  # element offsets count from the first offset word
    for target, data in calls:
        encoded = (
            bytes.fromhex(target[2:]).rjust(32, b"\0")
            + _word_of(64)
            + _word_of(len(data))
            + data
            + b"\0" * (-len(data) % 32)
        )
        offsets.append(_word_of(position))
        tails.append(encoded)
        position += len(encoded)
    return "0x" + (selector + _word_of(32) + _word_of(len(calls)) + b"".join(offsets) + b"".join(tails)).hex()


def decode_view_batch(data: str) -> list[tuple[bool, bytes]]:
    """(success, return data) of each view, from the answer of `ViewBatch.read`.

    Parsed by hand, like the calldata above: the audit reads hundreds of thousands of views, and the general
    decoder's nested closures cost more than the node takes to run them. Every offset is checked against the
    answer's length, so a malformed answer raises ValueError (the reader then reads view by view)."""
    raw = bytes.fromhex(data[2:])
    size = len(raw)

    def word(position: int) -> int:
        if position < 0 or position + 32 > size:
            raise ValueError(f"ViewBatch answer of {size} bytes has no word at {position}")
        return int.from_bytes(raw[position : position + 32], "big")

    # The answer is one dynamic array: its offset, its length, then one offset per element counted from the
    # first offset word; each element is (bool success, bytes returnData), its bytes at an offset counted
    # from the element's own start.
    first = word(0) + 32
    count = word(first - 32)
    answers = []
    for i in range(count):
        element = first + word(first + 32 * i)
        success = word(element)
        at = element + word(element + 32)
        end = at + 32 + word(at)
        if end > size:
            raise ValueError(f"ViewBatch answer of {size} bytes ends before its view {i}")
        answers.append((success != 0, raw[at + 32 : end]))
    return answers


ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]
_decode_string = _compile({"type": "string"})


def revert_reason(data: bytes) -> str:
    """A revert's `Error(string)` message, or '' for a custom error or a bare revert."""
    if data[:4] != ERROR_STRING_SELECTOR:
        return ""
    try:
        return str(_decode_string(data, 4 + _word(data, 4)))
    except (UnicodeDecodeError, ValueError):
        return ""
