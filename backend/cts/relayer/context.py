"""The chain as the relayer sees it: a web3 connection, the hromada's contracts, the forwarder.

Built once per process from the settings' manifest. A node that does not answer raises
ChainUnavailableError; the API turns that into 503 with a retry hint, and the worker waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import requests
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception

from cts.chain.client import HromadaHandles, connect, contract_at, hromada_handles
from cts.chain.forwarder import ForwarderDomain
from cts.chain.manifest import Manifest, ManifestError, load_manifest
from cts.core.config import Settings
from cts.relayer.allowlist import Allowlist
from cts.relayer.errors import ChainUnavailableError, RelayerNotConfiguredError

# What a node that went away looks like to web3 and its HTTP client.
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ConnectionError,
    TimeoutError,
)


def describe_unreachable(error: BaseException) -> str:
    """A log line's words for an unreachable node: one that hangs (no answer in time) or one that is gone.
    (Never the RPC URL: a provider's URL often carries its API key.)"""
    if isinstance(error, (requests.exceptions.Timeout, TimeoutError)):
        return f"the chain's node did not answer in time: it may hang ({type(error).__name__})"
    return f"the chain's node cannot be reached ({type(error).__name__})"


@dataclass
class ChainConnection:
    """The chain as the relayer's worker sees it: a web3 connection and the chain's shared contracts (the
    forwarder). One worker sends for every hromada of the chain: their requests all go through it."""

    w3: Web3
    manifest: Manifest

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainConnection:
        """The chain of the manifest the service is configured with (``CTS_MANIFEST_PATH``)."""
        if settings.manifest_path is None:
            raise RelayerNotConfiguredError(
                "CTS_MANIFEST_PATH is not set: the service does not know the contracts."
            )
        try:
            manifest = load_manifest(settings.manifest_path)
            _ = manifest.forwarder
        except ManifestError as error:
            raise RelayerNotConfiguredError(str(error)) from None
        connection = cls(
            connect(settings.rpc_url, timeout=settings.rpc_timeout_seconds, retry=False), manifest
        )
        connection.check_chain_id()
        return connection

    def check_chain_id(self) -> None:
        """Refuse to act on a node of another chain than the manifest's (when the node answers)."""
        try:
            chain_id = self.w3.eth.chain_id
        except (*UNREACHABLE_ERRORS, Web3Exception):  # type: ignore[misc]
            return  # checked again by the first transaction the node accepts; nothing is sent meanwhile
        if chain_id != self.manifest.chain_id:
            raise RelayerNotConfiguredError(
                f"the node at the RPC URL is chain {chain_id}; the manifest is for {self.manifest.chain_id}"
            )

    @cached_property
    def forwarder(self) -> Contract:
        return contract_at(self.w3, "CTSForwarder", self.manifest.forwarder)

    @cached_property
    def domain(self) -> ForwarderDomain:
        return ForwarderDomain(
            name="CTSForwarder",
            version="1",
            chain_id=self.manifest.chain_id,
            verifying_contract=self.manifest.forwarder,
        )

    def is_reachable(self) -> bool:
        try:
            _ = self.w3.eth.block_number
        except (*UNREACHABLE_ERRORS, Web3Exception):  # type: ignore[misc]
            return False
        return True

    def require_reachable(self) -> None:
        if not self.is_reachable():
            raise ChainUnavailableError()


@dataclass
class ChainContext(ChainConnection):
    """One hromada's contracts on the chain, and what the relayer pays for among them (the allowlist)."""

    hromada: HromadaHandles

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainContext:
        """The configured manifest's hromada (``CTS_HROMADA``, or its only one)."""
        connection = ChainConnection.from_settings(settings)
        try:
            handles = hromada_handles(connection.w3, connection.manifest, settings.hromada)
        except ManifestError as error:
            raise RelayerNotConfiguredError(str(error)) from None
        return cls(connection.w3, connection.manifest, handles)

    @cached_property
    def allowlist(self) -> Allowlist:
        return Allowlist(self.hromada)
