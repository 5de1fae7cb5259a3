"""The errors of the audit package: one root, ``AuditError``.

A difference between the chain's state and the recomputation is not an error: it is the audit's result
(:class:`cts.audit.compare.Difference`). These are the failures that stop an audit from reaching a verdict.
"""

from __future__ import annotations


class AuditError(RuntimeError):
    """Raised when the audit cannot be carried out (the root of the audit package's errors)."""


class RpcError(AuditError):
    """Raised when the JSON-RPC endpoint answers with an error that retrying will not cure."""

    def __init__(self, method: str, message: str, code: int | None = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        super().__init__(f"{method}: {message}" + (f" (code {code})" if code is not None else ""))


class TransientRpcError(RpcError):
    """Raised when a request failed in a way that may pass (timeout, connection reset, HTTP 429/5xx)."""


class RangeTooLargeError(RpcError):
    """Raised when the node refuses an eth_getLogs range as too large or as returning too many logs."""


class RetriesExhaustedError(AuditError):
    """Raised when a request still fails after every retry with backoff."""


class HromadaNotFoundError(AuditError):
    """Raised when the hromada named on the command line cannot be found on the chain or in the manifest."""


class PabulibError(AuditError):
    """Raised when a pabulib file cannot be written or read back as a CTS round."""
