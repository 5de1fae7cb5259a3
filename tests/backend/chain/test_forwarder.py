"""The relayer's direct EIP-712 digest of a ForwardRequest equals the generic encoder's, and a signature
made with it recovers to the signer (the forwarder on chain checks the same; the relayer tests send them)."""

from __future__ import annotations

import secrets

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from cts.chain.forwarder import ForwarderDomain, ForwardRequest

DOMAIN = ForwarderDomain("CTSForwarder", "1", 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


@pytest.mark.parametrize("size", [0, 1, 31, 32, 33, 68, 1_000])
def test_the_direct_digest_equals_the_generic_typed_data_hash(size: int) -> None:
    signer = Account.create()
    request = ForwardRequest(
        sender=signer.address,
        to=Account.create().address,
        data=secrets.token_bytes(size),
        gas=secrets.randbelow(2**64),
        nonce=secrets.randbelow(2**256),
        deadline=secrets.randbelow(2**48),
        value=secrets.randbelow(2**128),
    )
    generic = _hash_eip191_message(encode_typed_data(full_message=request.typed_data(DOMAIN)))
    assert request.digest(DOMAIN) == generic
    signature = request.sign(DOMAIN, signer.key)
    assert request.recover_signer(DOMAIN, signature) == signer.address


def test_another_domain_gives_another_digest() -> None:
    request = ForwardRequest(Account.create().address, Account.create().address, b"\x01", 60_000, 0, 10**9)
    other_chain = ForwarderDomain("CTSForwarder", "1", 1, DOMAIN.verifying_contract)
    assert request.digest(DOMAIN) != request.digest(other_chain)


def test_a_value_out_of_range_is_refused_not_wrapped() -> None:
    request = ForwardRequest(Account.create().address, Account.create().address, b"", -1, 0, 10**9)
    with pytest.raises(OverflowError):
        request.digest(DOMAIN)
