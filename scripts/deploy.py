"""Deploy CTS to a chain and onboard the hromadas described in a YAML file, idempotently.

    bin/brownie run scripts/deploy.py main deployments/demo.yaml --network cts-demo
    bin/brownie run scripts/deploy.py main deployments/hromadas.example.yaml --network sepolia

Step by step, every step recorded in the chain's manifest `deployments/<chain id>.json`
(`var/deployments/` on development chains, which are thrown away; `CTS_MANIFEST_DIR` overrides):

1. the shared contracts, once per chain: CTSForwarder, the five implementations, HromadaFactory;
2. each hromada of the YAML file: onboarded through the factory; then its opening deposits and
   programmes, if the file lists any (the deployer acts as council for these, then hands every role
   to the real council and renounces its own).

A transaction's hash is written to the manifest as soon as it is sent and its result once it is
confirmed, so running again skips what is done, waits for what was sent, and continues an
interrupted deployment without sending anything twice. A manifest whose contracts were compiled
from different code is refused unless `CTS_DEPLOY_FORCE=1`.

Live networks: the deployer's key comes from the environment (`CTS_DEPLOYER_KEY`, or a Brownie
keystore account `CTS_DEPLOYER_ACCOUNT` with `CTS_DEPLOYER_PASSWORD`), never from a file in the
repository. Fees are EIP-1559, capped by `CTS_MAX_FEE_GWEI` (default 50); `CTS_CONFIRMATIONS`
(default 2) confirmations are awaited; the estimated cost is printed before anything is sent; with
`ETHERSCAN_TOKEN` set, sources are published to the network's explorer.

Verifiable: on live networks, each shared contract's standard-JSON compiler input and metadata are written
to `deployments/<chain id>/` (paths and hashes in the manifest), checked against the metadata hash in the
deployed code, and submitted to Sourcify (`CTS_SOURCIFY_URL`; the public server for a remote network, none
for a node on this machine). `cts verify-deployment` recompiles them and compares with the chain.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import brownie.network.contract as brownie_contract_module
import yaml
from brownie import (
    BalancedVote,
    CoFinancing,
    CommunityFund,
    CTSForwarder,
    HromadaFactory,
    ProjectDelivery,
    ResidentRegistry,
    RVToken,
    UsefulCaseContract,
    accounts,
    chain,
    network,
    web3,
)
from eth_utils import keccak

# The verification files are built and checked by the backend's modules that need only the standard library,
# py-solc-x and eth-utils, which Brownie's environment has too.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))
from cts.chain import sourcify  # noqa: E402
from cts.chain.bytecode import BytecodeError  # noqa: E402
from cts.chain.sources import CompilationError, record_sources  # noqa: E402

# eth-brownie 1.22.2 fails to store its own deployment records on live networks ("dict object expected;
# got brownie.project.sources.Sources" in network.state._add_deployment). Our manifest is the record of
# a deployment, so Brownie's is switched off rather than worked around at every call.
brownie_contract_module._add_deployment = lambda *args, **kwargs: None

MANIFEST_SCHEMA = 1
IMPLEMENTATIONS = [
    ("ResidentRegistry", ResidentRegistry),
    ("RVToken", RVToken),
    ("UsefulCaseContract", UsefulCaseContract),
    ("BalancedVote", BalancedVote),
    ("CommunityFund", CommunityFund),
    ("ProjectDelivery", ProjectDelivery),
    ("CoFinancing", CoFinancing),
]
CONTRACT_KEYS = ["registry", "token", "usefulCases", "balancedVote", "fund", "delivery", "coFinancing"]
DEPOSIT_SOURCES = {"donor": 0, "local_budget": 1, "other": 2}
DAY = 24 * 60 * 60


class DeployError(SystemExit):
    """Raised to stop the deployment with a message and exit code 1; nothing further is sent."""

    def __init__(self, message: str) -> None:
        super().__init__(f"deploy: {message}")


# ---------------------------------------------------------------- settings


def is_live() -> bool:
    return network.show_active() is not None and "cmd" not in _network_config()


def _network_config() -> dict:
    from brownie._config import CONFIG

    return CONFIG.active_network


def manifest_path() -> Path:
    default = "deployments" if is_live() else "var/deployments"
    return Path(os.environ.get("CTS_MANIFEST_DIR", default)) / f"{chain.id}.json"


def get_deployer():
    """The account that pays: a development chain's first account, or a key from the environment."""
    if not is_live():
        return accounts[0]
    key = os.environ.get("CTS_DEPLOYER_KEY")
    keystore_id = os.environ.get("CTS_DEPLOYER_ACCOUNT")
    if key:
        return accounts.add(key)
    if keystore_id:
        password = os.environ.get("CTS_DEPLOYER_PASSWORD")
        if password is None:
            raise DeployError("CTS_DEPLOYER_ACCOUNT is set but CTS_DEPLOYER_PASSWORD is not")
        return accounts.load(keystore_id, password=password)
    raise DeployError(
        f"{network.show_active()} is a live network and no deployer key was given. Set CTS_DEPLOYER_KEY "
        "(a private key, in the environment only), or CTS_DEPLOYER_ACCOUNT and CTS_DEPLOYER_PASSWORD "
        "(an account in Brownie's keystore: `bin/brownie accounts new <id>`). Keys never go in files "
        "of the repository."
    )


def confirmations() -> int:
    return int(os.environ.get("CTS_CONFIRMATIONS", "2")) if is_live() else 1


def fee_settings() -> dict:
    """EIP-1559 fees on live networks, never above CTS_MAX_FEE_GWEI; the config's gas price elsewhere."""
    if not is_live():
        return {}
    cap = int(float(os.environ.get("CTS_MAX_FEE_GWEI", "50")) * 10**9)
    priority = int(float(os.environ.get("CTS_PRIORITY_FEE_GWEI", "1")) * 10**9)
    base_fee = web3.eth.get_block("latest").get("baseFeePerGas")
    if base_fee is None:
        raise DeployError("this network has no EIP-1559 base fee; set a gas price in brownie-config.yaml")
    if base_fee + priority > cap:
        raise DeployError(
            f"base fee {base_fee / 1e9:.2f} gwei + tip {priority / 1e9:.2f} gwei is above the cap "
            f"CTS_MAX_FEE_GWEI={cap / 1e9:.2f}; wait for cheaper blocks or raise the cap"
        )
    return {"max_fee": min(2 * base_fee + priority, cap), "priority_fee": priority}


# ---------------------------------------------------------------- manifest


class Manifest:
    """The chain's deployment record, rewritten atomically after every change."""

    def __init__(self, path: Path, data: dict) -> None:
        self.path = path
        self.data = data

    @classmethod
    def load(cls, path: Path, deployer) -> Manifest:
        data = json.loads(path.read_text()) if path.exists() else None
        if data is not None and data.get("chain_id") != chain.id:
            raise DeployError(f"{path} is for chain {data.get('chain_id')}, connected to {chain.id}")
        if data is not None and not is_live() and not cls._contracts_exist(data):
            print(f"deploy: {path} records a development chain that no longer exists; starting afresh")
            data = None
        if data is None:
            data = {
                "schema": MANIFEST_SCHEMA,
                "chain_id": chain.id,
                "network": network.show_active(),
                "deployer": str(deployer),
                "shared": {},
                "hromadas": {},
                "steps": {},
            }
        return cls(path, data)

    @staticmethod
    def _contracts_exist(data: dict) -> bool:
        return all(web3.eth.get_code(entry["address"]) for entry in data.get("shared", {}).values())

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.data["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=2) + "\n")
        tmp.replace(self.path)

    @property
    def steps(self) -> dict:
        return self.data.setdefault("steps", {})


def artifact_hash(container) -> str:
    """Hash of the compiled creation code: tells whether the code changed since a deployment."""
    return "0x" + keccak(hexstr=container.bytecode).hex()


def shared_containers() -> dict:
    return dict([("CTSForwarder", CTSForwarder), *IMPLEMENTATIONS, ("HromadaFactory", HromadaFactory)])


def check_code_unchanged(manifest: Manifest) -> None:
    containers = shared_containers()
    changed = [
        name
        for name, entry in manifest.data["shared"].items()
        if entry.get("artifact_hash") and entry["artifact_hash"] != artifact_hash(containers[name])
    ]
    if changed and os.environ.get("CTS_DEPLOY_FORCE") != "1":
        raise DeployError(
            f"{manifest.path} records {', '.join(changed)} compiled from other code than this checkout's. "
            "Deploying would mix versions. Check out the commit that made the manifest, or set "
            "CTS_DEPLOY_FORCE=1 to deploy new shared contracts and overwrite their entries."
        )
    if changed:
        print(f"deploy: CTS_DEPLOY_FORCE=1: redeploying {', '.join(changed)}")
        for name in changed:
            del manifest.data["shared"][name]
        manifest.data["shared"].pop("HromadaFactory", None)


# ---------------------------------------------------------------- steps


def run_step(manifest: Manifest, key: str, send, describe: str, keep: dict | None = None):
    """Send a transaction once, whatever moment an earlier run was killed at.

    Before sending, the step is written down with the deployer's nonce it will use ("sending"); right after,
    with its hash ("sent"); once confirmed, with its receipt ("done"). A later run skips "done", waits for
    "sent", and for "sending" looks at the nonce: used means the transaction went out (done), unused means
    it never left (send again, at the same nonce, so two can never both land). `send(extra)` sends with
    `extra` (nonce, fees, required_confs=0) merged into the transaction dict. Returns the receipt, or None
    for a step found done by its nonce alone.
    """
    keep = dict(keep or {})
    step = manifest.steps.get(key) or {}
    deployer = manifest.data["deployer"]
    if step.get("status") == "done":
        return web3.eth.get_transaction_receipt(step["tx"]) if step.get("tx") else None
    if step.get("status") == "sent":
        print(f"deploy: {describe}: waiting for the transaction sent earlier, {step['tx']}")
        receipt = _wait(step["tx"])
        if receipt is not None:
            return _record(manifest, key, receipt, {**keep, "nonce": step.get("nonce")})
    nonce = step.get("nonce")
    if nonce is not None:
        if _nonce_used(deployer, nonce):
            print(f"deploy: {describe}: sent by an interrupted run (nonce {nonce} is used)")
            manifest.steps[key] = {**keep, "status": "done", "nonce": nonce}
            manifest.save()
            return None
        print(f"deploy: {describe}: an interrupted run never sent it; sending at nonce {nonce}")
    else:
        nonce = web3.eth.get_transaction_count(deployer, "pending")
    keep["nonce"] = nonce
    manifest.steps[key] = {**keep, "status": "sending"}
    manifest.save()
    sent = send({"required_confs": 0, "nonce": nonce, **fee_settings()})
    # Brownie returns a pending receipt, or already the Contract when a development chain mined at once.
    txid = sent.txid if hasattr(sent, "txid") else sent.tx.txid
    manifest.steps[key] = {**keep, "status": "sent", "tx": txid, "sent_at": int(time.time())}
    manifest.save()
    receipt = _wait(txid)
    if receipt is None:
        raise DeployError(f"{describe}: {txid} vanished from the node; run again to resend")
    return _record(manifest, key, receipt, keep)


def _nonce_used(deployer: str, nonce: int, timeout: float = 600) -> bool:
    """Whether the deployer's transaction at `nonce` exists: mined, or pending (then wait until mined)."""
    if web3.eth.get_transaction_count(deployer, "latest") > nonce:
        return True
    if web3.eth.get_transaction_count(deployer, "pending") <= nonce:
        return False
    deadline = time.monotonic() + timeout
    while web3.eth.get_transaction_count(deployer, "latest") <= nonce:
        if time.monotonic() > deadline:
            raise DeployError(
                f"the deployer's transaction at nonce {nonce} is still pending after {timeout} s"
            )
        time.sleep(1)
    return True


def _wait(txid: str, timeout: int = 600):
    """The receipt once mined and confirmed; None if the node does not know the transaction."""
    try:
        web3.eth.get_transaction(txid)
    except Exception:
        try:
            return _confirmed(web3.eth.get_transaction_receipt(txid))
        except Exception:
            return None
    receipt = web3.eth.wait_for_transaction_receipt(txid, timeout=timeout)
    return _confirmed(receipt)


def _confirmed(receipt):
    needed = confirmations()
    while web3.eth.block_number - receipt["blockNumber"] + 1 < needed:
        time.sleep(1 if is_live() else 0.05)
    if receipt["status"] != 1:
        raise DeployError(f"transaction {receipt['transactionHash'].hex()} reverted")
    return receipt


def _record(manifest: Manifest, key: str, receipt, keep: dict | None = None) -> dict:
    manifest.steps[key] = {
        **(keep or {}),
        "status": "done",
        "tx": "0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x"),
        "block": receipt["blockNumber"],
        "gas_used": receipt["gasUsed"],
    }
    manifest.save()
    return receipt


def estimate_and_print(description: str, gas: int) -> None:
    price = web3.eth.gas_price
    print(f"deploy: {description}: about {gas:,} gas, {gas * price / 1e18:.6f} ETH at {price / 1e9:.2f} gwei")


def deploy_shared(manifest: Manifest, deployer, container, name: str, *args):
    """Deploy one shared contract once.

    The address of a contract created by the deployer's transaction at nonce n is fixed by (deployer, n):
    with the nonce written down before sending (see run_step), a run killed at any moment finds the
    contract at that address next time instead of deploying a second one.
    """
    entry = manifest.data["shared"].get(name)
    if entry and web3.eth.get_code(entry["address"]):
        return contract_at(container, entry["address"])
    key = f"shared:{name}"
    step = manifest.steps.get(key) or {}
    if step.get("nonce") is None:
        data = container.deploy.encode_input(*args)
        estimate_and_print(f"{name} (new)", web3.eth.estimate_gas({"from": str(deployer), "data": data}))
    run_step(manifest, key, lambda extra: container.deploy(*args, {"from": deployer, **extra}), name)
    step = manifest.steps[key]
    address = _create_address(str(deployer), step["nonce"])
    if not web3.eth.get_code(address):
        raise DeployError(
            f"{name}: no contract at {address}, where the deployer's nonce {step['nonce']} put it"
        )
    return _record_shared(manifest, container, name, address, step)


def contract_at(container, address: str):
    """`container.at(address)`, once Brownie has finished recording the contracts it deployed.

    Brownie records a contract it deployed from a thread of its own (Account.deploy starts
    ContractContainer._add_from_tx, which waits for the confirmation and then rewrites
    build/deployments/map.json in place); `.at` rewrites the same file. Run side by side, one could read the
    file while the other had just emptied it ("JSONDecodeError: Expected object or value", met in fresh-clone
    runs of test_any_folder and test_live_deployment), so those threads are waited for first.
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "_add_from_tx" in thread.name:
            thread.join(timeout=120)
    return container.at(address)


def _create_address(deployer: str, nonce: int) -> str:
    """The address CREATE gives the contract made by `deployer`'s transaction at `nonce`."""
    import rlp

    raw = keccak(rlp.encode([bytes.fromhex(deployer[2:]), nonce]))[12:]
    return web3.to_checksum_address(raw)


def _record_shared(manifest: Manifest, container, name: str, address: str, step: dict):
    manifest.steps[f"shared:{name}"] = {**step, "status": "done"}
    manifest.data["shared"][name] = {
        "address": address,
        "tx": step.get("tx"),
        "block": step.get("block"),
        "code_hash": "0x" + keccak(web3.eth.get_code(address)).hex(),
        "artifact_hash": artifact_hash(container),
    }
    manifest.save()
    print(f"deploy: {name} at {address}")
    return contract_at(container, address)


# ---------------------------------------------------------------- verifiable sources


def compiler_settings(container) -> dict:
    """The solc settings Brownie compiled `container` with (remappings as Brownie passed them to solc)."""
    from brownie._config import CONFIG
    from brownie.project import compiler as brownie_compiler

    solc = CONFIG.settings["compiler"]["solc"]
    built = container._build["compiler"]
    return {
        "evmVersion": built["evm_version"],
        "optimizer": built["optimizer"],
        "remappings": brownie_compiler._get_solc_remappings(solc.get("remappings")),
        "viaIR": solc.get("viaIR"),
    }


def write_sources(manifest: Manifest) -> None:
    """Each shared contract's standard-JSON input and metadata next to the manifest (live networks; once)."""
    if not is_live() and os.environ.get("CTS_RECORD_SOURCES") != "1":
        return  # a development chain is thrown away; CTS_RECORD_SOURCES=1 records it all the same
    containers = shared_containers()
    some = containers["CTSForwarder"]
    try:
        written = record_sources(
            ROOT,
            manifest.data["shared"],
            manifest.path.parent,
            chain.id,
            {name: container._build["sourcePath"] for name, container in containers.items()},
            compiler_settings(some),
            some._build["compiler"]["version"],
            lambda address: bytes(web3.eth.get_code(address)),
        )
    except (CompilationError, BytecodeError) as error:
        raise DeployError(f"verification files: {error}") from None
    if written:
        manifest.save()
        folder = manifest.path.parent / str(chain.id)
        print(f"deploy: standard-JSON inputs and metadata of {', '.join(written)} in {folder}")


def sourcify_url() -> str | None:
    """CTS_SOURCIFY_URL (`off`: none); by default the public Sourcify for a live network on another host."""
    value = os.environ.get("CTS_SOURCIFY_URL", "").strip()
    if value:
        return None if value.lower() == "off" else value
    host = urlparse(_network_config().get("host", "")).hostname
    if not is_live() or host in (None, "localhost", "127.0.0.1", "::1"):
        return None
    return sourcify.PUBLIC_URL


def publish_sources(manifest: Manifest) -> None:
    """Submit the recorded sources where the network has a verification service; failures are only said."""
    url = sourcify_url()
    if url:
        timeout = float(os.environ.get("CTS_SOURCIFY_TIMEOUT", "300"))
        sourcify.publish(manifest.data["shared"], manifest.path.parent, chain.id, url, timeout=timeout)
        manifest.save()
    if not (is_live() and os.environ.get("ETHERSCAN_TOKEN")):
        return
    for name, container in shared_containers().items():
        entry = manifest.data["shared"][name]
        if entry.get("published", {}).get("etherscan", {}).get("submitted"):
            continue
        try:
            # Brownie flattens the source (imports renamed): the explorer matches all but the metadata hash.
            submitted = bool(container.publish_source(contract_at(container, entry["address"])))
            outcome = {"submitted": submitted}
        except Exception as error:  # publishing is a courtesy; the deployment stands without it
            print(f"deploy: publishing {name}'s source to the explorer failed: {error}")
            outcome = {"submitted": False, "error": str(error)}
        entry.setdefault("published", {})["etherscan"] = outcome
        manifest.save()


# ---------------------------------------------------------------- hromadas


def h(text: str) -> bytes:
    return keccak(text=str(text))


def resolve_address(value: str, deployer) -> str:
    if value in ("deployer", None):
        return str(deployer)
    if isinstance(value, int) or value.isdigit():
        return str(accounts[int(value)])  # development chains: an index into the node's accounts
    if not web3.is_address(value):
        raise DeployError(f"not an address: {value!r}")
    return web3.to_checksum_address(value)


def timestamp(value, now: int) -> int:
    if value in (None, "now"):
        return now
    if isinstance(value, int):
        return value
    return int(datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp())


def onboard(manifest: Manifest, factory, deployer, spec: dict) -> dict:
    key = spec["key"]
    council = resolve_address(spec["council"], deployer)
    registrar = resolve_address(spec["registrar"], deployer)
    needs_setup = bool(spec.get("deposits") or spec.get("programmes"))
    # The deployer holds the council's roles during the opening set-up, then hands them over.
    acting_council = str(deployer) if needs_setup else council
    params = (
        spec["name"],
        spec.get("token_name", f"RV {spec['name']}"),
        spec.get("token_symbol", "RV"),
        int(spec.get("face_value_kopiyky", 5_000)),
        acting_council,
        registrar,
    )
    hromada_id = factory.hromadaIdOf(deployer, spec["name"])
    if hromada_id == 0:
        estimate_and_print(
            f"onboarding {spec['name']}", factory.onboardHromada.estimate_gas(params, {"from": deployer})
        )
        run_step(
            manifest,
            f"hromada:{key}:onboard",
            lambda extra: factory.onboardHromada(params, {"from": deployer, **extra}),
            f"onboarding {spec['name']}",
        )
        hromada_id = factory.hromadaIdOf(deployer, spec["name"])
    record = factory.hromada(hromada_id)
    contracts = dict(zip(CONTRACT_KEYS, (str(a) for a in record["contracts"]), strict=True))
    entry = manifest.data["hromadas"].setdefault(key, {})
    entry.update(
        {
            "name": spec["name"],
            "hromada_id": hromada_id,
            "council": council,
            "registrar": registrar,
            "face_value_kopiyky": int(spec.get("face_value_kopiyky", 5_000)),
            "contracts": contracts,
            "block": manifest.steps.get(f"hromada:{key}:onboard", {}).get("block"),
        }
    )
    manifest.save()
    if needs_setup:
        opening_setup(manifest, deployer, spec, contracts, council)
    print(
        f"deploy: hromada {spec['name']} (id {hromada_id}): "
        + ", ".join(f"{k} {v}" for k, v in contracts.items())
    )
    return entry


def opening_setup(manifest: Manifest, deployer, spec: dict, contracts: dict, council: str) -> None:
    key = spec["key"]
    fund = contract_at(CommunityFund, contracts["fund"])
    cases = contract_at(UsefulCaseContract, contracts["usefulCases"])
    for i, deposit in enumerate(spec.get("deposits", [])):
        receipt = h(deposit["receipt"])
        if (
            fund.isReceiptUsed(receipt)
            and manifest.steps.get(f"hromada:{key}:deposit:{i}", {}).get("status") != "sent"
        ):
            continue
        args = (
            int(deposit["amount_kopiyky"]),
            DEPOSIT_SOURCES[deposit.get("source", "donor")],
            h(deposit["source_ref"]),
            receipt,
        )
        run_step(
            manifest,
            f"hromada:{key}:deposit:{i}",
            lambda extra, args=args: fund.deposit(*args, {"from": deployer, **extra}),
            f"{spec['name']}: deposit {i + 1}",
        )
    now = chain.time()
    for i, programme in enumerate(spec.get("programmes", [])):
        if (
            cases.programmeCount() > i
            and manifest.steps.get(f"hromada:{key}:programme:{i}", {}).get("status") != "sent"
        ):
            continue
        start = timestamp(programme.get("starts"), now)
        end = (
            timestamp(programme["ends"], now)
            if "ends" in programme
            else start + int(programme.get("days", 90)) * DAY
        )
        params = (
            programme["title"],
            h(programme.get("metadata", programme["title"])),
            int(programme["reward_rv"]),
            int(programme["case_value_kopiyky"]),
            int(programme["token_cap_rv"]),
            int(programme["per_resident_cap_rv"]),
            start,
            end,
            int(programme.get("quorum", 1)),
            [resolve_address(v, deployer) for v in programme["verifiers"]],
        )
        run_step(
            manifest,
            f"hromada:{key}:programme:{i}",
            lambda extra, params=params: cases.createProgramme(params, {"from": deployer, **extra}),
            f"{spec['name']}: programme {programme['title']!r}",
        )
    if str(deployer) != council:
        hand_over(manifest, deployer, key, contracts, council)


def _in_flight(manifest: Manifest, key: str) -> bool:
    """Whether an earlier run started this step without seeing it through (run_step will settle it)."""
    return manifest.steps.get(key, {}).get("status") in ("sending", "sent")


def hand_over(manifest: Manifest, deployer, key: str, contracts: dict, council: str) -> None:
    """Grant the council every role the deployer held for the set-up, then renounce the deployer's."""
    containers = {
        "registry": ResidentRegistry,
        "token": RVToken,
        "usefulCases": UsefulCaseContract,
        "balancedVote": BalancedVote,
        "fund": CommunityFund,
    }
    for name, address in contracts.items():
        if name not in containers:
            continue  # ProjectDelivery and CoFinancing hold no roles: the fund's treasurer acts there
        contract = contract_at(containers[name], address)
        roles = [contract.DEFAULT_ADMIN_ROLE()]
        if name == "fund":
            roles.append(contract.TREASURER_ROLE())
        if name == "usefulCases":
            roles.append(contract.COORDINATOR_ROLE())
        # Grant before renouncing, admin role last, so the deployer never locks itself out midway.
        for role in sorted(roles, key=lambda r: r == contract.DEFAULT_ADMIN_ROLE()):
            if not contract.hasRole(role, council):
                run_step(
                    manifest,
                    f"hromada:{key}:grant:{name}:{role.hex()}",
                    lambda extra, c=contract, r=role: c.grantRole(r, council, {"from": deployer, **extra}),
                    f"granting {name} role to the council",
                )
        for role in sorted(roles, key=lambda r: r == contract.DEFAULT_ADMIN_ROLE()):
            if contract.hasRole(role, deployer):
                run_step(
                    manifest,
                    f"hromada:{key}:renounce:{name}:{role.hex()}",
                    lambda extra, c=contract, r=role: c.renounceRole(
                        r, deployer, {"from": deployer, **extra}
                    ),
                    f"renouncing the deployer's {name} role",
                )


# ---------------------------------------------------------------- main


def load_config(path: str | None) -> list[dict]:
    if path is None:
        return []
    config = yaml.safe_load(Path(path).read_text()) or {}
    hromadas = config.get("hromadas", [])
    keys = [spec.get("key") for spec in hromadas]
    if any(not k for k in keys) or len(set(keys)) != len(keys):
        raise DeployError(f"{path}: every hromada needs a unique `key`")
    return hromadas


def main(config_path: str | None = None) -> dict:
    hromadas = load_config(config_path)
    deployer = get_deployer()
    manifest = Manifest.load(manifest_path(), deployer)
    check_code_unchanged(manifest)
    print(
        f"deploy: network {network.show_active()} (chain {chain.id}), deployer {deployer}, "
        f"balance {web3.eth.get_balance(str(deployer)) / 1e18:.4f} ETH, manifest {manifest.path}"
    )

    forwarder = deploy_shared(manifest, deployer, CTSForwarder, "CTSForwarder")
    implementations = [
        deploy_shared(manifest, deployer, container, name, forwarder) for name, container in IMPLEMENTATIONS
    ]
    factory = deploy_shared(manifest, deployer, HromadaFactory, "HromadaFactory", forwarder, implementations)
    write_sources(manifest)
    publish_sources(manifest)
    for spec in hromadas:
        onboard(manifest, factory, deployer, spec)
    print(f"deploy: done; manifest {manifest.path}")
    return manifest.data


if __name__ == "__main__":
    sys.exit("run me with brownie: bin/brownie run scripts/deploy.py main <hromadas.yaml> --network <id>")
