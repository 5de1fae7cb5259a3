"""A web3.py client for CTS: contract handles from artifacts and manifests, and sending transactions.

Synchronous by design: the relayer runs its chain work in its own worker, and the command line is a script.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt

from cts.chain.artifacts import load_artifact
from cts.chain.errors import ChainError, ContractRevert, decode_revert
from cts.chain.manifest import HromadaEntry, Manifest

# Contract artifact names of a hromada's seven contracts, by manifest key.
HROMADA_CONTRACTS = {
    "registry": "ResidentRegistry",
    "token": "RVToken",
    "usefulCases": "UsefulCaseContract",
    "balancedVote": "BalancedVote",
    "fund": "CommunityFund",
    "delivery": "ProjectDelivery",
    "coFinancing": "CoFinancing",
}


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _session_for(rpc_url: str) -> requests.Session | None:
    """For a node on this machine, an HTTP session that ignores the proxy variables of the environment.

    requests reads them again on every request (about 0.25 ms each: a tenth of the relayer's CPU per
    action); a node on the loopback address is never reached through a proxy. Any other node gets web3's
    own session, proxies honoured."""
    if urlparse(rpc_url).hostname not in LOOPBACK_HOSTS:
        return None
    session = requests.Session()
    session.trust_env = False
    return session


def connect(rpc_url: str, timeout: float = 30, retry: bool = True) -> Web3:
    """A web3 connection to `rpc_url`; each request gives up after `timeout` seconds.

    With `retry=False`, web3's own retries are off: by default it tries a read up to five times, so a node
    that hangs held each call for five timeouts. The relayer retries in its own loop, knowing it is in an
    outage, and the API answers 503 at once; both want one attempt.
    """
    provider = HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, session=_session_for(rpc_url))
    if not retry:
        provider.exception_retry_configuration = None  # type: ignore[assignment]
    w3 = Web3(provider)
    # web3's validation middleware asks the node for its chain id before every call and gas estimate: one
    # extra round trip each time, which halved the relayer's acceptance rate. CTS signs with the chain id
    # of its manifest and checks it once when it starts (ChainContext), so the check is not lost.
    w3.middleware_onion.remove("validation")
    return w3


# One contract class per connection and artifact: building one parses the ABI (about 0.5 MiB and some
# milliseconds each for our contracts), and a service with 200 hromadas holds 1,000 contract handles.
_CONTRACT_CLASSES: weakref.WeakKeyDictionary[Web3, dict[str, type[Contract]]] = weakref.WeakKeyDictionary()


def contract_at(w3: Web3, name: str, address: str) -> Contract:
    classes = _CONTRACT_CLASSES.setdefault(w3, {})
    factory = classes.get(name)
    if factory is None:
        factory = w3.eth.contract(abi=load_artifact(name).abi)
        classes[name] = factory
    return factory(address=Web3.to_checksum_address(address))


@dataclass(frozen=True)
class HromadaHandles:
    """web3 contract objects for one hromada."""

    entry: HromadaEntry
    registry: Contract
    token: Contract
    cases: Contract
    vote: Contract
    fund: Contract
    delivery: Contract
    co_financing: Contract

    @classmethod
    def from_entry(cls, w3: Web3, entry: HromadaEntry) -> HromadaHandles:
        c = entry.contracts
        return cls(
            entry=entry,
            registry=contract_at(w3, "ResidentRegistry", c["registry"]),
            token=contract_at(w3, "RVToken", c["token"]),
            cases=contract_at(w3, "UsefulCaseContract", c["usefulCases"]),
            vote=contract_at(w3, "BalancedVote", c["balancedVote"]),
            fund=contract_at(w3, "CommunityFund", c["fund"]),
            delivery=contract_at(w3, "ProjectDelivery", c["delivery"]),
            co_financing=contract_at(w3, "CoFinancing", c["coFinancing"]),
        )

    @property
    def by_address(self) -> dict[str, Contract]:
        contracts = (
            self.registry,
            self.token,
            self.cases,
            self.vote,
            self.fund,
            self.delivery,
            self.co_financing,
        )
        return {c.address: c for c in contracts}


def hromada_handles(w3: Web3, manifest: Manifest, key: str | None = None) -> HromadaHandles:
    return HromadaHandles.from_entry(w3, manifest.hromada(key))


def revert_of(error: Exception) -> ContractRevert | None:
    """The decoded custom error behind a web3 exception, if it is a revert."""
    if isinstance(error, ContractRevert):
        return error
    if isinstance(error, (ContractCustomError, ContractLogicError, ContractPanicError)):
        data = error.data
        if isinstance(data, dict):
            # Anvil puts the revert data under "data"; Ganache (eth_estimateGas) under "result".
            data = data.get("data") or data.get("result")
        if isinstance(data, str) and data.startswith("0x"):
            return decode_revert(data)
        return ContractRevert("Reverted", (str(error),))
    return None


class Sender:
    """Sends transactions from one account: a local key (signed here) or an account the node unlocks.

    Nonces are taken from the node's pending count; the relayer's own sponsor writers manage their nonces
    in the database instead and do not use this class.
    """

    def __init__(self, w3: Web3, account: LocalAccount | str, gas_price: int | None = None) -> None:
        self.w3 = w3
        self.local = account if isinstance(account, LocalAccount) else None
        self.address = Web3.to_checksum_address(
            account.address if isinstance(account, LocalAccount) else account
        )
        self.gas_price = gas_price

    @classmethod
    def from_key(cls, w3: Web3, private_key: str | bytes) -> Sender:
        return cls(w3, Account.from_key(private_key))

    def _fees(self) -> TxParams:
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}  # type: ignore[typeddict-item]
        base = self.w3.eth.get_block("latest").get("baseFeePerGas", 0)
        return {"maxFeePerGas": 2 * base + 10**9, "maxPriorityFeePerGas": 10**9}  # type: ignore[typeddict-item]

    def send(self, call: Any, gas: int | None = None, wait: bool = True) -> TxReceipt | HexBytes:
        """Send a contract call; raise ContractRevert (decoded) if it would revert or did."""
        params: TxParams = {"from": self.address, **self._fees()}
        try:
            params["gas"] = gas or int(call.estimate_gas(params) * 1.2) + 10_000
        except Exception as error:
            revert = revert_of(error)
            if revert is not None:
                raise revert from None
            raise ChainError(f"cannot estimate gas: {error}") from error
        tx = call.build_transaction(params)
        return self._send_tx(tx, wait)

    def deploy(self, name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = self.send(factory.constructor(*args))
        assert not isinstance(receipt, bytes)
        return contract_at(self.w3, name, str(receipt["contractAddress"]))

    def _send_tx(self, tx: TxParams, wait: bool) -> TxReceipt | HexBytes:
        if self.local is not None:
            tx["nonce"] = self.w3.eth.get_transaction_count(self.address, "pending")
            signed = self.local.sign_transaction(tx)  # type: ignore[arg-type]
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        else:
            tx_hash = self.w3.eth.send_transaction(tx)
        if not wait:
            return tx_hash
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] != 1:
            raise self._explain_failure(tx, receipt)
        return receipt

    def _explain_failure(self, tx: TxParams, receipt: TxReceipt) -> ContractRevert:
        """Replay a reverted transaction as a call at its block to read the custom error."""
        call = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value", "gas")}
        try:
            self.w3.eth.call(call, receipt["blockNumber"] - 1)  # type: ignore[arg-type]
        except Exception as error:
            revert = revert_of(error)
            if revert is not None:
                return revert
        return ContractRevert("Reverted", (receipt["transactionHash"].hex(),))


def events_of(contract: Contract, event: str, receipt: TxReceipt) -> list[Any]:
    """The decoded `event`s that `contract` emitted in a receipt (other contracts' logs are skipped)."""
    return [
        log["args"]
        for log in getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)
        if log["address"] == contract.address
    ]


def wait_until(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
