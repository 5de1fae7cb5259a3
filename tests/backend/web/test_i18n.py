"""Every string the pages use exists in Ukrainian and in English, every error the service can give has a
message in both, and money, weights and ratios are written the way each language writes them."""

from __future__ import annotations

import re
from math import isqrt
from pathlib import Path

import pytest

from cts.chain.artifacts import load_artifact
from cts.models import ActionStatus, Language, Role
from cts.relayer.allowlist import SPONSORED
from cts.relayer.errors import _REFUSALS, _snake
from cts.web import deps, reads
from cts.web.i18n import MESSAGES, Translator
from cts.web.reads import quadratic_weight

WEB = Path(deps.__file__).parent
UK, EN = Translator(Language.UK), Translator(Language.EN)


def keys_used_in_templates() -> set[str]:
    keys: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        keys |= set(re.findall(r"\bt\('([a-z_0-9.]+[a-z_0-9])'", template.read_text()))
    for module in [*WEB.glob("*.py"), *(WEB / "routes").glob("*.py")]:
        text = module.read_text()
        keys |= set(re.findall(r'\bt\("([a-z_0-9]+\.[a-z_0-9.]+)"', text))
        keys |= set(re.findall(r'\.error\([^,()]+, "([a-z_]+\.[a-z_0-9.]+)"', text))
    return keys


def keys_built_from_values() -> set[str]:
    """Keys the templates build from a value (``t('round.' ~ state)``): every value needs one."""
    ledger = next(i for i in load_artifact("CommunityFund").abi if i.get("name") == "ledger")
    return {
        *(f"role.{role.value}" for role in Role),
        *(f"status.{status.value}" for status in ActionStatus),
        *(f"case.{state}" for state in reads.CASE_STATUSES),
        *(f"programme.{state}" for state in reads.PROGRAMME_STATES),
        *(f"round.{state}" for state in reads.ROUND_STATES),
        *(f"project.{state}" for state in reads.PROJECT_STATUSES),
        *(f"rule.{rule}" for rule in reads.ALLOCATION_RULES),
        *(f"loan.{state}" for state in reads.LOAN_STATES),
        *(f"ledger.{field['name']}" for field in ledger["outputs"][0]["components"]),
        *(f"history.{kind}" for kind in ("migration", "burn", "other")),
        *(f"notice.{notice}" for notice in deps.NOTICES),
        *(f"evidence.{code}" for code in ("evidence_missing", "evidence_too_large", "evidence_type")),
        *(f"council.{change}" for change in ("pause", "resume", "close")),
        *(f"reason.{code}" for code in (1, 2, 3, 4)),
        *(f"screening.{code}" for code in (1, 2, 3)),
        *(f"source.{code}" for code in (0, 1, 2)),
    }


def test_every_key_the_pages_use_has_a_ukrainian_and_an_english_text() -> None:
    used = keys_used_in_templates() | keys_built_from_values()
    assert len(used) > 250
    missing = sorted(key for key in used if key not in MESSAGES)
    assert not missing
    for key in used:
        uk, en = MESSAGES[key]
        assert uk.strip() and en.strip(), key


def test_every_action_the_relayer_pays_for_has_a_name_in_both_languages() -> None:
    """A new sponsored function needs a "kind.<function>" entry in cts.web.i18n.MESSAGES (until then its
    pages say "Action <function>")."""
    missing = sorted(function for _, function in SPONSORED if f"kind.{function}" not in MESSAGES)
    assert not missing


def test_ukrainian_texts_are_ukrainian_and_the_placeholders_match() -> None:
    for key, (uk, en) in MESSAGES.items():
        assert set(re.findall(r"{(\w+)}", uk)) == set(re.findall(r"{(\w+)}", en)), key
        if re.search(r"[A-Za-z]{4,}", en) and key not in ("app.short",):
            assert re.search(r"[А-Яа-яІіЇїЄєҐґ]", uk) or uk == en, key


def test_every_contract_error_has_a_message_and_one_a_person_can_cause_has_its_own() -> None:
    """Refusals the relayer names (it maps the ones a person's input can cause) read as sentences; any
    other error still gets a message, one that names its code for support."""
    for artifact in ("ResidentRegistry", "RVToken", "UsefulCaseContract", "BalancedVote", "CommunityFund"):
        for item in load_artifact(artifact).abi:
            if item.get("type") == "error":
                code = _snake(item["name"])
                assert UK.error(code) and EN.error(code)
    for prefix, _, _ in _REFUSALS:
        assert _snake(prefix) not in UK.error(_snake(prefix)), prefix


def test_an_unknown_code_falls_back_to_the_services_detail_in_english_and_names_the_code_in_ukrainian() -> (
    None
):
    assert EN.error("something_new", "The detail.") == "The detail."
    assert "something_new" in UK.error("something_new", "The detail.")
    assert UK.error("balanced_vote_insufficient_r_v") == UK.error("balanced_vote_insufficient_rv")


def test_money_weights_and_ratios_in_each_language() -> None:
    assert UK.uah(123_456) == "1\u00a0234,56\u00a0грн"
    assert EN.uah(123_456) == "UAH\u00a01,234.56"
    assert UK.uah(10_000_000) == "100\u00a0000\u00a0грн"
    assert EN.weight(quadratic_weight(5)) == "2.236"
    assert UK.weight(quadratic_weight(10_000)) == "100,000"
    assert UK.ratio(45_788) == "4,58" and EN.ratio(45_788) == "4.58"
    assert UK.filesize(10 * 1024 * 1024) == "10\u00a0МБ" and EN.filesize(65_536) == "64\u00a0KB"


@pytest.mark.parametrize("credits", [0, 1, 2, 3, 4, 99, 10**6, 2**64 - 1])
def test_the_weight_is_the_contracts_quadratic_math(credits: int) -> None:
    assert quadratic_weight(credits) == isqrt(credits * 10**18)
