"""The backend's chain client: deployment from artifacts, manifests, decoded custom errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from cts.chain.client import HromadaHandles, Sender, hromada_handles
from cts.chain.errors import ContractRevert, decode_revert
from cts.chain.manifest import Manifest, ManifestError, load_manifest


def test_onboarded_hromada_is_wired(hromada: HromadaHandles) -> None:
    assert hromada.token.functions.registry().call() == hromada.registry.address
    assert hromada.token.functions.decimals().call() == 0
    assert hromada.fund.functions.balancedVote().call() == hromada.vote.address


def test_manifest_round_trips_and_finds_hromadas(
    tmp_path: Path, shared_manifest: Manifest, hromada: HromadaHandles, w3: Web3
) -> None:
    path = tmp_path / "m.json"
    shared_manifest.save(path)
    loaded = load_manifest(path)
    assert loaded.factory == shared_manifest.factory
    entry = loaded.hromada(hromada.entry.key)
    assert loaded.hromada(hromada.entry.name) == entry
    assert loaded.hromada(hromada.vote.address.lower()) == entry
    assert hromada_handles(w3, loaded, entry.key).fund.address == hromada.fund.address


def test_manifest_errors_say_what_is_wrong(tmp_path: Path, shared_manifest: Manifest) -> None:
    with pytest.raises(ManifestError, match="no manifest at"):
        load_manifest(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ManifestError, match="is not JSON"):
        load_manifest(bad)
    bad.write_text('{"schema": 99}')
    with pytest.raises(ManifestError, match="unknown manifest schema 99"):
        load_manifest(bad)
    with pytest.raises(ManifestError, match="no hromada 'nowhere'"):
        shared_manifest.hromada("nowhere")


def test_custom_errors_come_back_by_name(hromada: HromadaHandles, w3: Web3) -> None:
    registrar = Sender(w3, w3.eth.accounts[1])
    resident = w3.eth.accounts[5]
    identity = keccak(text="identity-check-5")
    registrar.send(hromada.registry.functions.addResident(resident, identity))
    with pytest.raises(ContractRevert) as caught:
        registrar.send(hromada.registry.functions.addResident(resident, keccak(text="other")))
    assert caught.value.name == "ResidentRegistryAddressInUse"
    assert caught.value.args == (resident,)
    with pytest.raises(ContractRevert) as caught:
        Sender(w3, w3.eth.accounts[9]).send(
            hromada.registry.functions.addResident(w3.eth.accounts[6], identity)
        )
    assert caught.value.name == "AccessControlUnauthorizedAccount"


def test_unknown_and_empty_revert_data_are_reported_not_raised() -> None:
    assert decode_revert("0x").name == "Reverted"
    assert decode_revert("0xdeadbeef").name == "UnknownError_0xdeadbeef"
