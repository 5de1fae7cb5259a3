"""Exact revert messages of custom errors, as Brownie decodes them: "ErrorName: arg1, arg2".

Brownie prints addresses in lower case, enums as integers and bytes32 as Python bytes reprs;
`error()` builds the same string so that `brownie.reverts(error(...))` compares the whole message.
"""

from __future__ import annotations

from eth_utils import keccak

# IResidentRegistry.ResidentStatus
NONE, ACTIVE, SUSPENDED, MIGRATED, MOVED = range(5)
# IUsefulCaseContract.CaseStatus
CASE_NONE, CASE_PENDING, CASE_APPROVED, CASE_REJECTED = range(4)

REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")
ZERO_ADDRESS = "0x" + "00" * 20


def _format(arg) -> str:
    address = getattr(arg, "address", None)
    if address is not None:
        return str(address).lower()
    if isinstance(arg, str) and arg.startswith("0x") and len(arg) == 42:
        return arg.lower()
    if isinstance(arg, bytes | bytearray):
        return str(bytes(arg))
    if isinstance(arg, bool):
        return str(arg)
    return str(int(arg))


def error(name: str, *args) -> str:
    """The message Brownie gives for custom error `name` raised with `args`."""
    return f"{name}: " + ", ".join(_format(arg) for arg in args)
