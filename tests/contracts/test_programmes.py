"""Useful-case programmes: creation and its reserve in the fund, the lifecycle with the clock, the council's
switches (pause, resume, close), and the verifier set and quorum.

Programme 1 (the `programme` fixture): reward 2 RV, value 400 UAH, cap 100 RV, 10 per resident, quorum 1 of
the 3 verifiers, open from the module's start for 30 days.
"""

import functools

import brownie
import pytest
from brownie import chain, web3
from case_helpers import (
    ADMIN_ROLE,
    CLOSED,
    ENDED,
    OPEN,
    PAUSED,
    SCHEDULED,
    STATUS_ACTIVE,
    STATUS_CLOSED,
    as_dict,
    as_params,
    create_programme,
    mine_at,
    now,
    plain,
    unchanged,
)
from cts_errors import ZERO_ADDRESS, error
from cts_helpers import DAY, FACE_VALUE, h, programme_params

CAPITAL = 1_000_000_000  # the `capital` fixture's deposit, in kopiyky
PROGRAMME_1_RESERVE = 100 * FACE_VALUE

# Programme 1 exists in every test: created with the module's deployment, before any snapshot revert.
pytestmark = pytest.mark.usefixtures("programme")


@pytest.fixture
def nothing_changes(cases, fund, token):
    """`with nothing_changes(programmes=[1]), brownie.reverts(...)`: the revert changed nothing."""
    return functools.partial(unchanged, cases, fund, token)


def extra_addresses(count):
    """Distinct addresses that are nobody's account (to fill a verifier set)."""
    return [f"0x{i:040x}" for i in range(0x1000, 0x1000 + count)]


# ---------------------------------------------------------------- createProgramme


def test_council_creates_a_programme_with_its_parameters_and_zero_figures(cases, council, verifiers):
    clock = now()
    params = programme_params(
        clock,
        verifiers,
        title="Weaving camouflage nets",
        reward=3,
        case_value=60_000,
        token_cap=90,
        per_resident_cap=9,
        start=clock + DAY,
        end=clock + 10 * DAY,
        quorum=2,
        metadata="nets-2023",
    )
    tx = cases.createProgramme(params, {"from": council})
    assert tx.return_value == 2
    assert tx.events["ProgrammeCreated"]["programmeId"] == 2
    assert as_params(tx.events["ProgrammeCreated"]["params"]) == params
    assert as_dict(cases.programme(2)) == {
        "metadataHash": h("nets-2023"),
        "caseValueKopiyky": 60_000,
        "rewardPerCase": 3,
        "tokenCap": 90,
        "perResidentCap": 9,
        "start": clock + DAY,
        "end": clock + 10 * DAY,
        "quorum": 2,
        "status": STATUS_ACTIVE,
        "casesSubmitted": 0,
        "casesApproved": 0,
        "casesRejected": 0,
        "rvMinted": 0,
        "valueApprovedKopiyky": 0,
        "title": "Weaving camouflage nets",
    }
    assert cases.verifiersOf(2) == verifiers
    assert all(cases.isVerifier(2, v) for v in verifiers)
    assert cases.programmeCount() == 2


def test_a_programme_reserves_its_cap_times_face_value_from_available_capital(
    cases, fund, council, verifiers
):
    before = fund.ledger()
    tx = cases.createProgramme(programme_params(now(), verifiers, token_cap=300), {"from": council})
    assert tx.events["ProgrammeReserved"] == {"programmeId": 2, "amountKopiyky": 300 * FACE_VALUE}
    assert fund.programmeReserve(2) == 300 * FACE_VALUE
    after = fund.ledger()
    assert after["available"] == before["available"] - 300 * FACE_VALUE
    assert after["programmeReserves"] == before["programmeReserves"] + 300 * FACE_VALUE
    assert after["deposits"] == before["deposits"] == CAPITAL


def test_programme_ids_increase_from_one(cases, council, verifiers, programme):
    second = cases.createProgramme(programme_params(now(), verifiers, title="Blood"), {"from": council})
    third = cases.createProgramme(programme_params(now(), verifiers, title="Nets"), {"from": council})
    assert (second.return_value, third.return_value) == (2, 3)
    assert second.events["ProgrammeCreated"]["programmeId"] == 2
    assert third.events["ProgrammeCreated"]["programmeId"] == 3
    assert cases.programmeCount() == 3
    assert cases.programme(2)["title"] == "Blood" and cases.programme(3)["title"] == "Nets"


def _set_programme_count(cases, count):
    """Write `count` into the contract's programme counter (found by its value, then checked through the
    view): creating 65,535 programmes one by one would take hours."""
    write = "evm_setAccountStorageAt" if "ganache" in web3.client_version.lower() else "anvil_setStorageAt"

    def put(slot, value):
        key, word = ("0x" + n.to_bytes(32, "big").hex() for n in (slot, value))
        answer = web3.provider.make_request(write, [cases.address, key, word])
        assert "error" not in answer, answer
        web3.provider.make_request("evm_mine", [])  # the next read sees the new state at the head

    current = cases.programmeCount()
    for slot in range(64):
        if int.from_bytes(web3.eth.get_storage_at(cases.address, slot), "big") != current:
            continue
        put(slot, 0xC0DE)
        if cases.programmeCount() == 0xC0DE:
            put(slot, count)
            return
        put(slot, current)
    raise AssertionError("the programme counter's storage slot was not found")


def test_a_hromada_has_at_most_65535_programmes_as_a_case_keeps_the_id_in_16_bits(
    cases, council, verifiers, nothing_changes
):
    _set_programme_count(cases, 65_534)
    tx = cases.createProgramme(programme_params(now(), verifiers, title="The last"), {"from": council})
    assert tx.return_value == 65_535 == cases.programmeCount()
    with nothing_changes(), brownie.reverts(error("UsefulCaseTooManyProgrammes", 65_535)):
        cases.createProgramme(programme_params(now(), verifiers, title="One too many"), {"from": council})
    assert cases.programmeCount() == 65_535


def test_only_the_council_creates_programmes(cases, verifiers, coordinator, outsider, nothing_changes):
    params = programme_params(now(), verifiers)
    with nothing_changes(programmes=[1]):
        for caller in (outsider, coordinator, verifiers[0]):
            with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
                cases.createProgramme(params, {"from": caller})


def test_a_programme_needs_a_title(cases, council, verifiers, programme, nothing_changes):
    with nothing_changes(), brownie.reverts(error("UsefulCaseEmptyTitle")):
        cases.createProgramme(programme_params(now(), verifiers, title=""), {"from": council})


def test_a_title_is_at_most_200_bytes_so_100_cyrillic_letters_fit(
    cases, council, verifiers, programme, nothing_changes
):
    with nothing_changes(), brownie.reverts(error("UsefulCaseTitleTooLong", 201, 200)):
        cases.createProgramme(programme_params(now(), verifiers, title="x" * 201), {"from": council})
    with nothing_changes(), brownie.reverts(error("UsefulCaseTitleTooLong", 202, 200)):
        cases.createProgramme(programme_params(now(), verifiers, title="ж" * 101), {"from": council})
    title = "ж" * 100
    assert len(title.encode()) == 200
    tx = cases.createProgramme(programme_params(now(), verifiers, title=title), {"from": council})
    assert tx.events["ProgrammeCreated"]["params"][0] == title
    assert cases.programme(2)["title"] == title


def test_a_programme_needs_a_metadata_hash(cases, council, verifiers, programme, nothing_changes):
    params = list(programme_params(now(), verifiers))
    params[1] = b"\x00" * 32
    with nothing_changes(), brownie.reverts(error("UsefulCaseZeroHash")):
        cases.createProgramme(params, {"from": council})


def test_a_programme_needs_a_reward(cases, council, verifiers, programme, nothing_changes):
    with nothing_changes(), brownie.reverts(error("UsefulCaseZeroReward")):
        cases.createProgramme(programme_params(now(), verifiers, reward=0), {"from": council})


def test_caps_must_hold_a_reward_and_the_per_resident_cap_fit_the_programme_cap(
    cases, council, verifiers, nothing_changes
):
    with nothing_changes():
        for reward, token_cap, per_resident_cap in (
            (5, 4, 4),  # the programme cap holds no reward
            (5, 100, 4),  # the per-resident cap holds no reward
            (2, 10, 12),  # the per-resident cap exceeds the programme cap
        ):
            params = programme_params(
                now(), verifiers, reward=reward, token_cap=token_cap, per_resident_cap=per_resident_cap
            )
            with brownie.reverts(error("UsefulCaseInvalidCaps", reward, token_cap, per_resident_cap)):
                cases.createProgramme(params, {"from": council})
    tx = cases.createProgramme(
        programme_params(now(), verifiers, reward=5, token_cap=5, per_resident_cap=5), {"from": council}
    )
    assert plain(tx.events["ProgrammeCreated"]["params"])[2:6] == (5, 40_000, 5, 5)


def test_the_window_must_end_after_it_starts_and_in_the_future(cases, council, verifiers, nothing_changes):
    clock = now()
    with nothing_changes():
        for start, end in (
            (clock + 10 * DAY, clock + 5 * DAY),  # ends before it starts
            (clock + 10 * DAY, clock + 10 * DAY),  # ends as it starts
            (clock - 10 * DAY, clock - 1),  # ended already
        ):
            with brownie.reverts(error("UsefulCaseInvalidWindow", start, end)):
                cases.createProgramme(
                    programme_params(clock, verifiers, start=start, end=end), {"from": council}
                )


def test_a_window_that_started_in_the_past_opens_at_once(cases, council, verifiers, programme):
    clock = now()
    programme_id = create_programme(cases, council, verifiers, start=clock - 10 * DAY, end=clock + DAY)
    assert cases.programmeState(programme_id) == OPEN


def test_the_quorum_must_be_between_one_and_the_number_of_verifiers(
    cases, council, verifiers, nothing_changes
):
    with nothing_changes():
        for quorum, verifier_set in ((0, verifiers), (4, verifiers), (1, [])):
            with brownie.reverts(error("UsefulCaseInvalidQuorum", quorum, len(verifier_set))):
                cases.createProgramme(programme_params(now(), verifier_set, quorum=quorum), {"from": council})


def test_a_programme_has_at_most_32_verifiers_at_creation_and_by_addition(
    cases, council, outsider, nothing_changes
):
    with nothing_changes(), brownie.reverts(error("UsefulCaseInvalidQuorum", 1, 33)):
        cases.createProgramme(programme_params(now(), extra_addresses(33)), {"from": council})
    programme_id = create_programme(cases, council, extra_addresses(32), quorum=3)
    assert len(cases.verifiersOf(programme_id)) == cases.MAX_VERIFIERS() == 32
    with (
        nothing_changes(programmes=[programme_id]),
        brownie.reverts(error("UsefulCaseTooManyVerifiers", programme_id, 32)),
    ):
        cases.addVerifier(programme_id, outsider, {"from": council})


def test_a_verifier_cannot_be_the_zero_address(cases, council, verifiers, programme, nothing_changes):
    params = programme_params(now(), [verifiers[0], ZERO_ADDRESS])
    with nothing_changes(), brownie.reverts(error("UsefulCaseZeroAddress")):
        cases.createProgramme(params, {"from": council})


def test_a_verifier_cannot_be_listed_twice(cases, council, verifiers, programme, nothing_changes):
    params = programme_params(now(), [verifiers[0], verifiers[1], verifiers[0]], quorum=2)
    # The error names the id the programme would have had.
    with nothing_changes(), brownie.reverts(error("UsefulCaseDuplicateVerifier", 2, verifiers[0])):
        cases.createProgramme(params, {"from": council})


def test_a_programme_cannot_reserve_more_than_the_available_capital(
    cases, fund, council, verifiers, programme, nothing_changes
):
    available = CAPITAL - PROGRAMME_1_RESERVE
    token_cap = available // FACE_VALUE + 1
    params = programme_params(now(), verifiers, token_cap=token_cap)
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("CommunityFundInsufficientCapital", token_cap * FACE_VALUE, available)),
    ):
        cases.createProgramme(params, {"from": council})
    assert fund.ledger()["available"] == available


def test_a_programme_may_reserve_all_the_available_capital(cases, fund, council, verifiers, programme):
    token_cap = (CAPITAL - PROGRAMME_1_RESERVE) // FACE_VALUE
    tx = cases.createProgramme(programme_params(now(), verifiers, token_cap=token_cap), {"from": council})
    assert tx.events["ProgrammeReserved"] == {
        "programmeId": 2,
        "amountKopiyky": CAPITAL - PROGRAMME_1_RESERVE,
    }
    ledger = fund.ledger()
    assert ledger["available"] == 0
    assert ledger["programmeReserves"] == CAPITAL


# ---------------------------------------------------------------- lifecycle


def test_a_programme_is_scheduled_then_open_then_ended_by_the_clock(cases, council, verifiers):
    clock = now()
    start, end = clock + DAY, clock + 3 * DAY
    programme_id = create_programme(cases, council, verifiers, start=start, end=end)
    assert cases.programmeState(programme_id) == SCHEDULED
    # Views read the latest block's time: mine blocks on each side of the window's edges.
    mine_at(start - 1)
    assert cases.programmeState(programme_id) == SCHEDULED
    mine_at(start)
    assert cases.programmeState(programme_id) == OPEN
    mine_at(end - 1)
    assert cases.programmeState(programme_id) == OPEN
    mine_at(end)
    assert cases.programmeState(programme_id) == ENDED


def test_the_state_of_an_unknown_programme_reverts(cases, programme):
    for unknown in (0, 2):
        with brownie.reverts(error("UsefulCaseUnknownProgramme", unknown)):
            cases.programmeState(unknown)
        with brownie.reverts(error("UsefulCaseUnknownProgramme", unknown)):
            cases.programme(unknown)


def test_council_pauses_an_open_programme(cases, council, programme):
    tx = cases.pauseProgramme(1, {"from": council})
    assert tx.events["ProgrammePaused"] == {"programmeId": 1}
    assert cases.programmeState(1) == PAUSED


def test_council_resumes_a_paused_programme(cases, council, programme):
    cases.pauseProgramme(1, {"from": council})
    tx = cases.resumeProgramme(1, {"from": council})
    assert tx.events["ProgrammeResumed"] == {"programmeId": 1}
    assert cases.programmeState(1) == OPEN


def test_a_paused_scheduled_programme_resumes_scheduled(cases, council, verifiers):
    programme_id = create_programme(cases, council, verifiers, start=now() + DAY)
    cases.pauseProgramme(programme_id, {"from": council})
    assert cases.programmeState(programme_id) == PAUSED
    cases.resumeProgramme(programme_id, {"from": council})
    assert cases.programmeState(programme_id) == SCHEDULED


def test_paused_and_closed_take_precedence_over_the_clock(cases, council, programme):
    chain.sleep(31 * DAY)
    chain.mine()
    assert cases.programmeState(1) == ENDED
    cases.pauseProgramme(1, {"from": council})
    assert cases.programmeState(1) == PAUSED
    cases.closeProgramme(1, {"from": council})
    assert cases.programmeState(1) == CLOSED


def test_only_the_council_pauses_resumes_and_closes(cases, council, verifiers, coordinator, nothing_changes):
    with nothing_changes(programmes=[1]):
        for caller in (coordinator, verifiers[0]):
            for action in (cases.pauseProgramme, cases.closeProgramme):
                with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
                    action(1, {"from": caller})
    cases.pauseProgramme(1, {"from": council})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("AccessControlUnauthorizedAccount", coordinator, ADMIN_ROLE)),
    ):
        cases.resumeProgramme(1, {"from": coordinator})


def test_a_paused_programme_cannot_be_paused_again(cases, council, programme, nothing_changes):
    cases.pauseProgramme(1, {"from": council})
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, PAUSED, OPEN)),
    ):
        cases.pauseProgramme(1, {"from": council})


def test_only_a_paused_programme_can_be_resumed(cases, council, programme, nothing_changes):
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, OPEN, PAUSED)),
    ):
        cases.resumeProgramme(1, {"from": council})
    chain.sleep(31 * DAY)
    chain.mine()
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, ENDED, PAUSED)),
    ):
        cases.resumeProgramme(1, {"from": council})


def test_a_closed_programme_cannot_be_paused_resumed_or_closed_again(cases, council, nothing_changes):
    cases.closeProgramme(1, {"from": council})
    with nothing_changes(programmes=[1]):
        for action, expected in (
            (cases.pauseProgramme, OPEN),
            (cases.resumeProgramme, PAUSED),
            (cases.closeProgramme, OPEN),
        ):
            with brownie.reverts(error("UsefulCaseUnexpectedProgrammeState", 1, CLOSED, expected)):
                action(1, {"from": council})


def test_closing_returns_the_unused_reserve_to_available_capital(
    cases, fund, council, verifiers, alice, bob, programme
):
    cases.submitCase(1, h("photo-alice"), {"from": alice})
    cases.submitCase(1, h("photo-bob"), {"from": bob})
    cases.approveCases([1, 2], {"from": verifiers[0]})  # 4 RV minted of the cap of 100
    before = fund.ledger()
    tx = cases.closeProgramme(1, {"from": council})
    unused = (100 - 4) * FACE_VALUE
    assert tx.events["ProgrammeClosed"] == {"programmeId": 1, "unusedReserveKopiyky": unused}
    assert tx.events["ProgrammeReleased"] == {"programmeId": 1, "amountKopiyky": unused}
    assert cases.programmeState(1) == CLOSED
    assert cases.programme(1)["status"] == STATUS_CLOSED
    assert fund.programmeReserve(1) == 0
    after = fund.ledger()
    assert after["available"] == before["available"] + unused
    assert after["programmeReserves"] == before["programmeReserves"] - unused == 0
    assert after["tokenFund"] == before["tokenFund"] == 4 * FACE_VALUE


def test_closing_a_fully_minted_programme_returns_nothing(cases, fund, council, verifiers, alice):
    programme_id = create_programme(cases, council, verifiers, reward=2, token_cap=2, per_resident_cap=2)
    cases.submitCase(programme_id, h("photo-alice"), {"from": alice})
    cases.approveCase(1, {"from": verifiers[0]})
    before = fund.ledger()
    tx = cases.closeProgramme(programme_id, {"from": council})
    assert tx.events["ProgrammeClosed"] == {"programmeId": programme_id, "unusedReserveKopiyky": 0}
    assert "ProgrammeReleased" not in tx.events
    assert fund.ledger() == before


def test_a_scheduled_or_paused_programme_can_be_closed_with_its_whole_reserve(
    cases, fund, council, verifiers, programme
):
    scheduled = create_programme(cases, council, verifiers, token_cap=50, start=now() + DAY)
    cases.pauseProgramme(1, {"from": council})
    available = fund.ledger()["available"]
    closed_scheduled = cases.closeProgramme(scheduled, {"from": council})
    closed_paused = cases.closeProgramme(1, {"from": council})
    assert closed_scheduled.events["ProgrammeClosed"]["unusedReserveKopiyky"] == 50 * FACE_VALUE
    assert closed_paused.events["ProgrammeClosed"]["unusedReserveKopiyky"] == 100 * FACE_VALUE
    assert fund.ledger()["available"] == available + 150 * FACE_VALUE
    assert cases.programmeState(scheduled) == cases.programmeState(1) == CLOSED


def test_council_actions_on_an_unknown_programme_revert(cases, council, verifiers, outsider, nothing_changes):
    with nothing_changes(programmes=[1]):
        for action, args in (
            (cases.pauseProgramme, (7,)),
            (cases.resumeProgramme, (7,)),
            (cases.closeProgramme, (7,)),
            (cases.addVerifier, (7, outsider)),
            (cases.removeVerifier, (7, verifiers[0])),
            (cases.setQuorum, (7, 1)),
        ):
            with brownie.reverts(error("UsefulCaseUnknownProgramme", 7)):
                action(*args, {"from": council})
    with brownie.reverts(error("UsefulCaseUnknownProgramme", 7)):
        cases.verifiersOf(7)


# ---------------------------------------------------------------- verifiers and quorum


def test_council_adds_a_verifier_who_may_then_decide(cases, council, verifiers, outsider, alice, programme):
    cases.submitCase(1, h("photo-alice"), {"from": alice})
    tx = cases.addVerifier(1, outsider, {"from": council})
    assert tx.events["VerifierAdded"] == {"programmeId": 1, "verifier": outsider}
    assert cases.verifiersOf(1) == [*verifiers, outsider]
    assert cases.isVerifier(1, outsider)
    approved = cases.approveCase(1, {"from": outsider})
    assert approved.events["CaseApproved"]["caseId"] == 1


def test_only_the_council_manages_verifiers_and_the_quorum(
    cases, verifiers, coordinator, outsider, nothing_changes
):
    with nothing_changes(programmes=[1]):
        for caller in (coordinator, verifiers[0]):
            for action, args in (
                (cases.addVerifier, (1, outsider)),
                (cases.removeVerifier, (1, verifiers[2])),
                (cases.setQuorum, (1, 2)),
            ):
                with brownie.reverts(error("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
                    action(*args, {"from": caller})


def test_a_verifier_cannot_be_added_twice(cases, council, verifiers, programme, nothing_changes):
    with (
        nothing_changes(programmes=[1]),
        brownie.reverts(error("UsefulCaseDuplicateVerifier", 1, verifiers[1])),
    ):
        cases.addVerifier(1, verifiers[1], {"from": council})


def test_the_zero_address_cannot_be_added_as_a_verifier(cases, council, programme, nothing_changes):
    with nothing_changes(programmes=[1]), brownie.reverts(error("UsefulCaseZeroAddress")):
        cases.addVerifier(1, ZERO_ADDRESS, {"from": council})


def test_council_removes_a_verifier_who_may_no_longer_decide(
    cases, council, verifiers, alice, programme, nothing_changes
):
    cases.submitCase(1, h("photo-alice"), {"from": alice})
    tx = cases.removeVerifier(1, verifiers[0], {"from": council})
    assert tx.events["VerifierRemoved"] == {"programmeId": 1, "verifier": verifiers[0]}
    assert set(cases.verifiersOf(1)) == {str(v) for v in verifiers[1:]}
    assert not cases.isVerifier(1, verifiers[0])
    with (
        nothing_changes(programmes=[1], case_ids=[1]),
        brownie.reverts(error("UsefulCaseNotVerifier", 1, verifiers[0])),
    ):
        cases.approveCase(1, {"from": verifiers[0]})


def test_removing_an_account_that_is_not_a_verifier_reverts(
    cases, council, outsider, programme, nothing_changes
):
    with nothing_changes(programmes=[1]), brownie.reverts(error("UsefulCaseNotVerifier", 1, outsider)):
        cases.removeVerifier(1, outsider, {"from": council})


def test_the_last_verifier_a_quorum_needs_cannot_be_removed(
    cases, council, verifiers, programme, nothing_changes
):
    cases.removeVerifier(1, verifiers[0], {"from": council})
    cases.removeVerifier(1, verifiers[1], {"from": council})
    with nothing_changes(programmes=[1]), brownie.reverts(error("UsefulCaseInvalidQuorum", 1, 0)):
        cases.removeVerifier(1, verifiers[2], {"from": council})


def test_a_verifier_of_a_unanimous_quorum_cannot_be_removed(
    cases, council, verifiers, programme, nothing_changes
):
    cases.setQuorum(1, 3, {"from": council})
    with nothing_changes(programmes=[1]), brownie.reverts(error("UsefulCaseInvalidQuorum", 3, 2)):
        cases.removeVerifier(1, verifiers[1], {"from": council})


def test_council_sets_the_quorum(cases, council, programme):
    tx = cases.setQuorum(1, 3, {"from": council})
    assert tx.events["QuorumChanged"] == {"programmeId": 1, "quorum": 3}
    assert cases.programme(1)["quorum"] == 3


def test_the_quorum_stays_between_one_and_the_number_of_verifiers(cases, council, nothing_changes):
    with nothing_changes(programmes=[1]):
        for quorum in (0, 4):
            with brownie.reverts(error("UsefulCaseInvalidQuorum", quorum, 3)):
                cases.setQuorum(1, quorum, {"from": council})


def test_the_contract_cannot_be_initialised_again(cases, outsider):
    contracts = (outsider,) * 7  # HromadaContracts: seven addresses
    with brownie.reverts(error("InvalidInitialization")):
        cases.initialize(contracts, outsider, {"from": outsider})
    assert not cases.hasRole(ADMIN_ROLE, outsider)
