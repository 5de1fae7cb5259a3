"""Reading deployed bytecode: solc's CBOR metadata tail, immutables, EIP-1167 clones, IPFS hashes.

Standard library only: `scripts/deploy.py` imports it from Brownie's environment as well.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

# EIP-1167 minimal proxy runtime code around the 20-byte implementation address (OpenZeppelin Clones).
CLONE_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
CLONE_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
# solc's IPFS hashing (libsolutil/IpfsHash.cpp) makes one UnixFS block up to this size.
IPFS_CHUNK = 256 * 1024
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class BytecodeError(ValueError):
    """Raised when code does not have the shape asked for (no CBOR tail, a malformed map)."""


@dataclass(frozen=True)
class SplitCode:
    """Runtime code cut at solc's metadata: the executable part and the CBOR map appended to it."""

    body: bytes
    cbor: bytes
    metadata: dict[str, Any]


def split_metadata(code: bytes) -> SplitCode:
    """Cut solc's CBOR tail (a map, then its length in two bytes) off runtime code and decode it."""
    if len(code) < 2:
        raise BytecodeError("code too short to carry solc's metadata")
    length = int.from_bytes(code[-2:], "big")
    if length == 0 or length + 2 > len(code):
        raise BytecodeError("code carries no CBOR metadata tail")
    cbor = code[-2 - length : -2]
    decoded, end = _cbor_item(cbor, 0)
    if end != len(cbor) or not isinstance(decoded, dict):
        raise BytecodeError("the CBOR metadata tail is not one map")
    return SplitCode(body=code[: -2 - length], cbor=cbor, metadata=decoded)


def _cbor_item(data: bytes, at: int) -> tuple[Any, int]:
    """One CBOR item of the kinds solc writes (unsigned, bytes, text, map, booleans)."""
    if at >= len(data):
        raise BytecodeError("truncated CBOR")
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if major == 7:
        if info in (20, 21):
            return info == 21, at
        raise BytecodeError(f"unexpected CBOR simple value {info}")
    if info < 24:
        value = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        value = int.from_bytes(data[at : at + size], "big")
        at += size
    else:
        raise BytecodeError("indefinite-length CBOR is not what solc writes")
    if major == 0:
        return value, at
    if major in (2, 3):
        raw = data[at : at + value]
        if len(raw) != value:
            raise BytecodeError("truncated CBOR string")
        return (raw if major == 2 else raw.decode()), at + value
    if major == 5:
        result: dict[str, Any] = {}
        for _ in range(value):
            key, at = _cbor_item(data, at)
            result[str(key)], at = _cbor_item(data, at)
        return result, at
    raise BytecodeError(f"unexpected CBOR major type {major}")


def mask_immutables(code: bytes, references: dict[str, list[dict[str, int]]]) -> bytes:
    """Zero the bytes where the constructor wrote immutables (solc's `immutableReferences`)."""
    masked = bytearray(code)
    for places in references.values():
        for place in places:
            start, length = int(place["start"]), int(place["length"])
            masked[start : start + length] = bytes(length)
    return bytes(masked)


def immutable_values(code: bytes, references: dict[str, list[dict[str, int]]]) -> list[str]:
    """The values the constructor wrote, one per immutable (as hex), for a report."""
    values = []
    for places in references.values():
        if places:
            start, length = int(places[0]["start"]), int(places[0]["length"])
            values.append("0x" + code[start : start + length].hex())
    return values


def clone_implementation(code: bytes) -> str | None:
    """The implementation address an EIP-1167 minimal proxy delegates to; None for any other code."""
    if len(code) == 45 and code.startswith(CLONE_PREFIX) and code.endswith(CLONE_SUFFIX):
        return "0x" + code[10:30].hex()
    return None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def ipfs_multihash(data: bytes) -> bytes:
    """The sha2-256 multihash of `data` as an IPFS file (CIDv0): what solc puts in the `ipfs` field."""
    if len(data) > IPFS_CHUNK:
        raise BytecodeError(
            f"IPFS hashing of files over {IPFS_CHUNK} bytes (several blocks) is not supported"
        )
    # A UnixFS File node (Type 2, Data, filesize) inside a dag-pb PBNode's Data field.
    unixfs = b"\x08\x02" + (_field(2, data) if data else b"") + b"\x18" + _varint(len(data))
    return b"\x12\x20" + hashlib.sha256(_field(1, unixfs)).digest()


def base58(data: bytes) -> str:
    """Bitcoin's base58, as IPFS writes CIDv0 (Qm...)."""
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, rest = divmod(number, 58)
        text = _BASE58[rest] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
