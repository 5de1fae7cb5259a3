"""The pages' translations. The gettext catalogs are complete (every msgid of messages.pot has a Ukrainian
and an English translation, with every plural form and the msgid's placeholders), messages.pot is what the
code and templates say today, the compiled .mo files are those of the .po files, every value the pages
name (states, roles, errors, actions...) has a text, and numbers, money, weights, ratios, dates and plural
forms are written each language's way (Babel's locale data)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from math import isqrt
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from cts.chain.artifacts import load_artifact
from cts.models import ActionStatus, Language, Role
from cts.relayer.allowlist import SPONSORED
from cts.relayer.errors import _REFUSALS, _snake
from cts.web import deps, i18n, reads
from cts.web.i18n import CatalogMissingError, get_translator, load_translations
from cts.web.reads import quadratic_weight
from cts.web.routes.council import DEPOSIT_SOURCES, PROGRAMME_CHANGES, SCREENING_REASONS
from cts.web.routes.verifier import REJECTION_REASONS

ROOT = Path(__file__).resolve().parents[3]
WEB = Path(deps.__file__).parent
LOCALE = i18n.LOCALE_DIR
TEMPLATE = LOCALE / "messages.pot"
PLURAL_FORMS = {"uk": 3, "en": 2}
UK, EN = get_translator(Language.UK), get_translator(Language.EN)
MAKE_MESSAGES = "run `make messages`, translate the new entries in both .po files (docs/translations.md)"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def key(message: Message) -> tuple[str | None, str]:
    """A message's identity: its context and its msgid (the singular of a plural message)."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    context = message.context  # read_mo gives it as bytes
    return context.decode() if isinstance(context, bytes) else context, msgid


def entries(catalog: Catalog) -> dict[tuple[str | None, str], Message]:
    return {key(message): message for message in catalog if message.id}


def forms(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def placeholder_problems(message: Message) -> list[str]:
    """A translation fills the msgid's placeholders and no others (one of several plural forms may leave
    the count out: "одна справа")."""
    ids = (message.id,) if isinstance(message.id, str) else message.id
    wanted = set().union(*(placeholders(text) for text in ids))
    problems = []
    for text in forms(message):
        found = placeholders(text)
        if found - wanted or (not message.pluralizable and found != wanted):
            problems.append(f"placeholders {sorted(found)} instead of {sorted(wanted)}: {key(message)}")
    return problems


# ---------------------------------------------------------------- the catalogs


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_message_has_a_translation_with_every_plural_form(lang: str) -> None:
    """A new string in the code or a template must be translated in both .po files (English mostly as its
    msgid), a plural one in each of its language's forms (Ukrainian: 1 справа, 2 справи, 5 справ)."""
    template = entries(read_catalog(TEMPLATE))
    assert len(template) > 400
    assert sum(message.pluralizable for message in template.values()) >= 10
    catalog = read_catalog(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
    assert catalog.num_plurals == PLURAL_FORMS[lang]
    translated = entries(catalog)
    problems = []
    for identity, wanted in template.items():
        message = translated.get(identity)
        if message is None:
            problems.append(f"missing: {identity}")
        elif message.fuzzy:
            problems.append(f"fuzzy (check it, then remove the fuzzy flag): {identity}")
        elif wanted.pluralizable and (not message.pluralizable or message.id != wanted.id):
            problems.append(f"not the template's plural message: {identity}")
        elif len(forms(message)) != (PLURAL_FORMS[lang] if wanted.pluralizable else 1):
            problems.append(f"wrong number of plural forms: {identity}")
        elif not all(text.strip() for text in forms(message)):
            problems.append(f"untranslated: {identity}")
        else:
            problems += placeholder_problems(message)
    # Babel's own checks (python-format messages, the number of plural forms).
    for message, errors in catalog.check():
        problems += [f"{key(message)}: {error}" for error in errors]
    assert not problems, f"{lang}: {MAKE_MESSAGES}\n" + "\n".join(problems)


def test_the_ukrainian_texts_are_ukrainian() -> None:
    """Translated, not copied: a Ukrainian text with English words in it is a slip (names of things such
    as RV, SHA-256, JPEG or pabulib excepted)."""
    copied = []
    for message in read_catalog(LOCALE / "uk" / "LC_MESSAGES" / "messages.po", "uk"):
        if message.id and all(not re.search(r"[А-Яа-яІіЇїЄєҐґ]", text) for text in forms(message)):
            english = message.id if isinstance(message.id, str) else message.id[0]
            if re.search(r"[A-Za-z]{4,}", re.sub(r"%\(\w+\)s", "", english)):
                copied.append(key(message))
    assert not copied


def test_the_template_is_what_the_code_and_templates_say_today(tmp_path: Path) -> None:
    """messages.pot extracted again (with babel.cfg, as `make messages` does) has the same msgids as the
    committed one: no string in the code or a template that translators have not seen, none left over."""
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "--quiet", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(fresh), str(WEB)]
    )
    extracted, committed = entries(read_catalog(fresh)), entries(read_catalog(TEMPLATE))
    new = sorted(set(extracted) - set(committed), key=str)
    gone = sorted(set(committed) - set(extracted), key=str)
    assert not new and not gone, f"messages.pot is out of date: {MAKE_MESSAGES}\nnew: {new}\ngone: {gone}"
    changed = [k for k in extracted if extracted[k].id != committed[k].id]  # a plural's other form
    assert not changed, f"messages.pot is out of date: {MAKE_MESSAGES}\n{changed}"


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_compiled_catalogs_are_those_of_the_po_files(lang: str) -> None:
    """The service reads the .mo files that `make setup` compiles; an edited .po needs compiling again."""
    with i18n.catalog_path(Language(lang)).open("rb") as file:
        compiled = {key(m): forms(m) for m in read_mo(file) if m.id}
    source = read_catalog(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
    expected = {key(m): forms(m) for m in source if m.id and not m.fuzzy}
    assert compiled == expected, (
        "run `make setup` (or `pybabel compile -d backend/cts/web/locale -D messages`)"
    )


def test_a_missing_compiled_catalog_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(CatalogMissingError, match="pybabel compile"):
        load_translations(Language.UK)


# ---------------------------------------------------------------- texts looked up by a value


def values_the_pages_name() -> dict[str, set[str]]:
    """Every value a page names through ``t.label(family, value)``, from where the values come from."""
    ledger = next(i for i in load_artifact("CommunityFund").abi if i.get("name") == "ledger")
    return {
        "role": {role.value for role in Role},
        "status": {status.value for status in ActionStatus},
        "case": set(reads.CASE_STATUSES),
        "programme": set(reads.PROGRAMME_STATES),
        "round": set(reads.ROUND_STATES),
        "project": set(reads.PROJECT_STATUSES),
        "rule": set(reads.ALLOCATION_RULES),
        "loan": set(reads.LOAN_STATES),
        "ledger": {field["name"] for field in ledger["outputs"][0]["components"]},
        "history": {"migration", "burn", "other"},  # the kinds history.html names by label
        "notice": set(deps.NOTICES),
        "nav": {name for links in deps.NAV.values() for _, name in links},
        "reason": {str(code) for code in REJECTION_REASONS},
        "screening": {str(code) for code in SCREENING_REASONS},
        "source": {str(code) for code in DEPOSIT_SOURCES},
        "programme_change": {change for changes in PROGRAMME_CHANGES.values() for change in changes},
    }


@pytest.mark.parametrize("family", sorted(values_the_pages_name()))
def test_every_value_the_pages_name_has_a_text_in_both_languages(family: str) -> None:
    values = values_the_pages_name()[family]
    for t in (UK, EN):
        missing = sorted(values - set(t.labels(family)))
        assert not missing, f"{family}: add them to cts.web.messages.labels"
    translated = [v for v in values if UK.label(family, v) != EN.label(family, v)]
    assert translated, f"{family}: the Ukrainian names are the English ones"


def test_every_action_the_relayer_pays_for_has_a_name_in_both_languages() -> None:
    """A new sponsored function needs an entry in cts.web.messages.action_kinds (until then its pages say
    "Action <function>")."""
    missing = sorted(function for _, function in SPONSORED if UK.kind(function) == UK.kind("no_such_kind"))
    assert not missing
    assert UK.kind("castBallot") == "Голосування" and EN.kind("castBallot") == "Casting a ballot"


def test_every_contract_error_has_a_message_and_one_a_person_can_cause_has_its_own() -> None:
    """Refusals the relayer names (it maps the ones a person's input can cause) read as sentences; any
    other error still gets a message, one that names its code for support."""
    for artifact in (
        "ResidentRegistry",
        "RVToken",
        "UsefulCaseContract",
        "BalancedVote",
        "CommunityFund",
        "ProjectDelivery",
        "CoFinancing",
    ):
        for item in load_artifact(artifact).abi:
            if item.get("type") == "error":
                code = _snake(item["name"])
                assert UK.error(code) and EN.error(code)
    for prefix, _, _ in _REFUSALS:
        assert UK.has_error_message(_snake(prefix)), prefix
    for code in ("evidence_missing", "evidence_too_large", "evidence_type"):  # cts.web.files.EvidenceError
        assert UK.has_error_message(code), code
    assert "64" in UK.error("evidence_too_large", limit=UK.filesize(65_536))


def test_an_unknown_code_falls_back_to_the_services_detail_in_english_and_names_the_code_in_ukrainian() -> (
    None
):
    assert EN.error("something_new", "The detail.") == "The detail."
    assert "something_new" in UK.error("something_new", "The detail.")
    assert UK.error("balanced_vote_insufficient_r_v") == UK.error("balanced_vote_insufficient_rv")
    assert UK.error("balanced_vote_insufficient_rv").startswith("У вас недостатньо RV")


# ---------------------------------------------------------------- formats and plural forms


def test_ukrainian_has_three_plural_forms_and_english_two() -> None:
    def waiting(t: i18n.Translator, n: int) -> str:
        return t.ngettext("%(num)s case waiting", "%(num)s cases waiting", n)

    assert [waiting(UK, n) for n in (1, 2, 5, 11, 21, 22, 25, 111)] == [
        "1 справа в черзі",
        "2 справи в черзі",
        "5 справ у черзі",
        "11 справ у черзі",
        "21 справа в черзі",
        "22 справи в черзі",
        "25 справ у черзі",
        "111 справ у черзі",
    ]
    assert [waiting(EN, n) for n in (1, 2, 21)] == ["1 case waiting", "2 cases waiting", "21 cases waiting"]
    assert waiting(UK, 1234) == "1\u00a0234 справи в черзі" and waiting(EN, 1234) == "1,234 cases waiting"
    line = UK.ngettext(
        "weight %(weight)s, %(credits)s RV, %(num)s supporter",
        "weight %(weight)s, %(credits)s RV, %(num)s supporters",
        5,
        weight=UK.weight(quadratic_weight(9)),
        credits=UK.number(1953),
    )
    assert line == "вага 3,000, 1\u00a0953 RV, підтримали 5 людей"


def test_money_weights_ratios_and_sizes_in_each_language() -> None:
    assert UK.uah(123_456) == "1\u00a0234,56\u00a0грн"
    assert EN.uah(123_456) == "UAH\u00a01,234.56"
    assert UK.uah(10_000_000) == "100\u00a0000\u00a0грн" and UK.uah(5) == "0,05\u00a0грн"
    assert EN.weight(quadratic_weight(5)) == "2.236"
    assert UK.weight(quadratic_weight(10_000)) == "100,000"
    assert UK.weight(quadratic_weight(10**12)) == "1\u00a0000\u00a0000,000"
    assert UK.ratio(45_788) == "4,58" and EN.ratio(45_788) == "4.58"
    assert UK.filesize(10 * 1024 * 1024) == "10\u00a0МБ" and EN.filesize(65_536) == "64\u00a0kB"
    assert UK.number(97_650) == "97\u00a0650" and EN.number(97_650) == "97,650"


def test_dates_and_times_in_kyiv_time_each_languages_way() -> None:
    moment = int(datetime(2025, 3, 5, 12, 30, tzinfo=UTC).timestamp())  # 14:30 in Kyiv (EET)
    if i18n.kyiv()[1]:
        assert UK.when(moment) == "5 бер. 2025\u202fр., 14:30"
        assert EN.when(moment) == "Mar 5, 2025, 2:30\u202fPM"
        assert UK.zone_name == "за київським часом" and EN.zone_name == "Kyiv time"
    assert UK.when(0) == "—"


@pytest.mark.parametrize("credits", [0, 1, 2, 3, 4, 99, 10**6, 2**64 - 1])
def test_the_weight_is_the_contracts_quadratic_math(credits: int) -> None:
    assert quadratic_weight(credits) == isqrt(credits * 10**18)
