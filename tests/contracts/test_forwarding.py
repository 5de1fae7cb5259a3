"""Meta-transactions: a resident signs an EIP-712 ForwardRequest, the relayer pays, the contracts see her.

The resident keys here hold no ETH at all; the relayer submits through the chain's CTSForwarder.
"""

import brownie
import pytest
from brownie import CTSForwarder, UsefulCaseContract, accounts, chain
from cts_errors import ZERO_ADDRESS, error
from cts_helpers import DAY, h, sign_forward_request
from eth_account import Account
from eth_utils import keccak


def latest_timestamp() -> int:
    """The latest block's time: the next block is never earlier (Anvil's clock can lag `chain.time()`)."""
    return chain[-1].timestamp


def signed_case(forwarder, resident, evidence, cases, programme, **kwargs):
    """A ForwardRequest, signed by `resident`, that submits a case with `evidence` to programme 1."""
    data = cases.submitCase.encode_input(programme, h(evidence))
    kwargs.setdefault("deadline", latest_timestamp() + DAY)
    return sign_forward_request(forwarder, resident.private_key, resident, cases, data, **kwargs)


@pytest.fixture(scope="module")
def olena(registry, registrar, residents):
    """A resident (id 4) whose custodial key the relayer holds; she has no ETH."""
    account = accounts.add("0x" + keccak(text="cts-test-forwarding-olena").hex())
    registry.addResident(account, h("identity-olena"), {"from": registrar})
    return account


@pytest.fixture(scope="module")
def petro(registry, registrar, olena):
    """Another resident without ETH (id 5)."""
    account = accounts.add("0x" + keccak(text="cts-test-forwarding-petro").hex())
    registry.addResident(account, h("identity-petro"), {"from": registrar})
    return account


@pytest.fixture(scope="module")
def mallory():
    """Holds a key, is no resident, and tries to sign for others."""
    return Account.from_key(keccak(text="cts-test-forwarding-mallory"))


def test_a_forwarded_case_is_attributed_to_the_resident_not_the_relayer(
    forwarder, cases, programme, olena, relayer
):
    request = signed_case(forwarder, olena, "olena-nets", cases, programme)
    relayer_balance = relayer.balance()
    tx = forwarder.execute(request, {"from": relayer})

    submitted = tx.events["CaseSubmitted"]
    assert submitted["resident"] == olena
    assert submitted["submittedBy"] == olena
    assert submitted["residentId"] == 4
    assert tx.events["ExecutedForwardRequest"] == {"signer": olena, "nonce": 0, "success": True}
    case = cases.caseOf(submitted["caseId"])
    assert case["residentId"] == 4
    assert case["submittedBy"] == olena
    assert forwarder.nonces(olena) == 1
    # The relayer paid for the gas; the resident has and spent nothing.
    assert olena.balance() == 0
    assert relayer.balance() == relayer_balance - tx.gas_used * tx.gas_price


def test_a_batch_of_signed_requests_is_attributed_to_each_resident(
    forwarder, cases, programme, olena, petro, relayer
):
    requests = [
        signed_case(forwarder, olena, "olena-nets-1", cases, programme, nonce=0),
        signed_case(forwarder, petro, "petro-park", cases, programme, nonce=0),
        signed_case(forwarder, olena, "olena-nets-2", cases, programme, nonce=1),
    ]
    tx = forwarder.executeBatch(requests, ZERO_ADDRESS, {"from": relayer})

    submitted = tx.events["CaseSubmitted"]
    assert [e["resident"] for e in submitted] == [olena, petro, olena]
    assert [e["residentId"] for e in submitted] == [4, 5, 4]
    assert [e["submittedBy"] for e in submitted] == [olena, petro, olena]
    assert [e["success"] for e in tx.events["ExecutedForwardRequest"]] == [True, True, True]
    assert forwarder.nonces(olena) == 2
    assert forwarder.nonces(petro) == 1
    assert olena.balance() == petro.balance() == 0


def test_a_forwarded_case_is_rewarded_to_the_resident(
    forwarder, cases, token, programme, olena, verifiers, relayer
):
    tx = forwarder.execute(signed_case(forwarder, olena, "olena-nets", cases, programme), {"from": relayer})
    approved = cases.approveCase(tx.events["CaseSubmitted"]["caseId"], {"from": verifiers[0]})
    assert approved.events["Transfer"] == {"from": ZERO_ADDRESS, "to": olena, "value": 2}
    assert token.balanceOf(olena) == 2


def test_a_replayed_request_reverts(forwarder, cases, programme, olena, relayer):
    request = signed_case(forwarder, olena, "olena-nets", cases, programme)
    forwarder.execute(request, {"from": relayer})
    count = cases.caseCount()
    # The signed nonce is used: the signature now recovers to an unrelated address.
    with brownie.reverts(
        revert_pattern=rf"ERC2771ForwarderInvalidSigner: 0x[0-9a-f]{{40}}, {olena.address.lower()}"
    ):
        forwarder.execute(request, {"from": relayer})
    assert cases.caseCount() == count
    assert forwarder.nonces(olena) == 1


def test_an_expired_request_reverts(forwarder, cases, programme, olena, relayer):
    deadline = latest_timestamp() - 1
    request = signed_case(forwarder, olena, "olena-nets", cases, programme, deadline=deadline)
    with brownie.reverts(error("ERC2771ForwarderExpiredRequest", deadline)):
        forwarder.execute(request, {"from": relayer})
    assert cases.caseCount() == 0
    assert forwarder.nonces(olena) == 0


def test_a_request_signed_by_someone_else_reverts(forwarder, cases, programme, olena, mallory, relayer):
    data = cases.submitCase.encode_input(programme, h("forged"))
    request = sign_forward_request(
        forwarder, mallory.key, olena, cases, data, deadline=latest_timestamp() + DAY, nonce=0
    )
    with brownie.reverts(error("ERC2771ForwarderInvalidSigner", mallory.address, olena)):
        forwarder.execute(request, {"from": relayer})
    assert cases.caseCount() == 0
    assert forwarder.nonces(olena) == 0


def test_a_request_to_a_contract_trusting_another_forwarder_reverts(
    forwarder, cases, programme, olena, council, relayer
):
    other_forwarder = CTSForwarder.deploy({"from": council})
    stranger = UsefulCaseContract.deploy(other_forwarder, {"from": council})
    data = cases.submitCase.encode_input(programme, h("olena-nets"))
    request = sign_forward_request(
        forwarder, olena.private_key, olena, stranger, data, deadline=latest_timestamp() + DAY
    )
    with brownie.reverts(error("ERC2771UntrustfulTarget", stranger, forwarder)):
        forwarder.execute(request, {"from": relayer})
    assert forwarder.nonces(olena) == 0


def test_a_request_to_a_contract_without_erc2771_reverts(forwarder, olena, council, relayer):
    plain = CTSForwarder.deploy({"from": council})
    request = sign_forward_request(
        forwarder, olena.private_key, olena, plain, "0x", deadline=latest_timestamp() + DAY
    )
    with brownie.reverts(error("ERC2771UntrustfulTarget", plain, forwarder)):
        forwarder.execute(request, {"from": relayer})
    assert forwarder.nonces(olena) == 0


def test_a_forwarded_call_that_reverts_makes_execute_revert(forwarder, cases, programme, olena, relayer):
    forwarder.execute(signed_case(forwarder, olena, "olena-nets", cases, programme), {"from": relayer})
    # The same evidence again: the case contract refuses, and the forwarder reports a failed call.
    request = signed_case(forwarder, olena, "olena-nets", cases, programme)
    with brownie.reverts(error("FailedCall")):
        forwarder.execute(request, {"from": relayer})
    assert forwarder.nonces(olena) == 1
    assert cases.caseCount() == 1


def test_an_atomic_batch_reverts_on_one_invalid_request(forwarder, cases, programme, olena, petro, relayer):
    deadline = latest_timestamp() - 1
    requests = [
        signed_case(forwarder, olena, "olena-nets", cases, programme),
        signed_case(forwarder, petro, "petro-park", cases, programme, deadline=deadline),
    ]
    with brownie.reverts(error("ERC2771ForwarderExpiredRequest", deadline)):
        forwarder.executeBatch(requests, ZERO_ADDRESS, {"from": relayer})
    assert cases.caseCount() == 0
    assert forwarder.nonces(olena) == forwarder.nonces(petro) == 0


def test_with_a_refund_receiver_invalid_requests_do_not_block_the_others(
    forwarder, cases, programme, olena, petro, mallory, relayer
):
    expired = latest_timestamp() - 1
    forged = sign_forward_request(
        forwarder,
        mallory.key,
        petro,
        cases,
        cases.submitCase.encode_input(programme, h("forged")),
        deadline=latest_timestamp() + DAY,
    )
    requests = [
        signed_case(forwarder, petro, "petro-expired", cases, programme, deadline=expired),
        signed_case(forwarder, olena, "olena-nets", cases, programme),
        forged,
    ]
    tx = forwarder.executeBatch(requests, relayer, {"from": relayer})

    # Only Olena's request ran; the invalid ones were skipped without using Petro's nonce.
    assert tx.events["ExecutedForwardRequest"] == {"signer": olena, "nonce": 0, "success": True}
    assert tx.events["CaseSubmitted"]["resident"] == olena
    assert cases.caseCount() == 1
    assert forwarder.nonces(olena) == 1
    assert forwarder.nonces(petro) == 0


def test_with_a_refund_receiver_a_failing_call_does_not_block_the_others(
    forwarder, cases, programme, olena, petro, relayer
):
    requests = [
        signed_case(forwarder, olena, "shared-photo", cases, programme),
        # Petro submits the same evidence: his call reverts (UsefulCaseDuplicateEvidence) inside the batch.
        signed_case(forwarder, petro, "shared-photo", cases, programme),
        signed_case(forwarder, olena, "olena-nets", cases, programme, nonce=1),
    ]
    tx = forwarder.executeBatch(requests, relayer, {"from": relayer})

    executed = tx.events["ExecutedForwardRequest"]
    assert [(e["signer"], e["nonce"], e["success"]) for e in executed] == [
        (olena, 0, True),
        (petro, 0, False),
        (olena, 1, True),
    ]
    assert [e["resident"] for e in tx.events["CaseSubmitted"]] == [olena, olena]
    assert cases.caseCount() == 2
    # A request whose call failed still used its nonce: it cannot be replayed.
    assert forwarder.nonces(petro) == 1
