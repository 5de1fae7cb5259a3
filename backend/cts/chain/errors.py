"""Contract custom errors, decoded by name from the compiled ABIs.

A reverted CTS call returns the 4-byte selector of a custom error and its ABI-encoded arguments. The relayer
and the command line turn them into names ("UsefulCaseDuplicateEvidence") with arguments, so that people
read a reason and the API can map it to a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from cts.chain.artifacts import build_dir, load_artifact

# Solidity's own: Error(string) and Panic(uint256).
_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")


class ChainError(RuntimeError):
    """Raised when talking to the chain fails (the root of the chain package's errors)."""


@dataclass(frozen=True)
class ContractRevert(ChainError):
    """Raised when a transaction or call reverted; `name` is the custom error's name when it is known."""

    name: str
    args: tuple[Any, ...] = ()
    data: str = ""

    def __str__(self) -> str:
        rendered = ", ".join(_render(a) for a in self.args)
        return f"{self.name}({rendered})"


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _canonical_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item["components"])
        return f"({inner}){item['type'][len('tuple') :]}"
    return str(item["type"])


@cache
def error_registry() -> dict[bytes, tuple[str, list[str]]]:
    """Selector -> (name, argument types) for every custom error of every compiled contract."""
    registry: dict[bytes, tuple[str, list[str]]] = {}
    for path in sorted(build_dir().glob("*.json")):
        for item in load_artifact(path.stem).abi:
            if item.get("type") != "error":
                continue
            types = [_canonical_type(i) for i in item.get("inputs", [])]
            signature = f"{item['name']}({','.join(types)})"
            registry[function_signature_to_4byte_selector(signature)] = (item["name"], types)
    return registry


def decode_revert(data: bytes | str | None) -> ContractRevert:
    """Turn revert data into a ContractRevert with the error's name and arguments."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x"))
    if not data:
        return ContractRevert("Reverted")
    selector, payload = data[:4], data[4:]
    try:
        if selector == _ERROR_STRING:
            return ContractRevert("Error", tuple(abi_decode(["string"], payload)), "0x" + data.hex())
        if selector == _PANIC:
            return ContractRevert("Panic", tuple(abi_decode(["uint256"], payload)), "0x" + data.hex())
        known = error_registry().get(selector)
        if known is not None:
            name, types = known
            values = abi_decode(types, payload)
            args = tuple(
                to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)
            )
            return ContractRevert(name, args, "0x" + data.hex())
    except Exception:  # noqa: S110 (malformed payload: report the raw data rather than fail while reporting)
        pass
    return ContractRevert(f"UnknownError_0x{selector.hex()}", (), "0x" + data.hex())
