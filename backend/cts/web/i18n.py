"""Ukrainian (the default) and English: a thin layer over Babel's gettext catalogs and locale data.

The strings live in gettext catalogs, ``locale/<lang>/LC_MESSAGES/messages.po`` beside this file, with the
English source strings as msgids (docs/translations.md says how to update them). The set-up compiles them to
``.mo`` files; a missing one is an error that says how to compile it, never a page silently in English.

``Translator`` is one language: ``gettext``/``ngettext``/``pgettext``/``npgettext`` (the same callables the
templates use through Jinja2's i18n extension), the texts looked up by a value at run time (error messages
by code, action names, the names of states and roles, in cts.web.messages), and numbers, money, weights,
dates and file sizes formatted with Babel's data for the page's locale.

Placeholders are Python's ``%(name)s``; ``ngettext`` fills ``%(num)s`` with the count written the locale's
way (``1 234``), and picks the plural form by the catalog's rule (three forms in Ukrainian: 1 справа,
2 справи, 5 справ).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from babel.support import Translations
from babel.units import format_unit

from cts.errors import CTSError
from cts.models import Language
from cts.web import messages

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
NBSP = "\u00a0"
FILE_SIZE_UNITS = ("digital-byte", "digital-kilobyte", "digital-megabyte")


class CatalogMissingError(RuntimeError):
    """Raised when a language's compiled catalog (``messages.mo``) is not where the service looks for it."""


def catalog_path(lang: Language) -> Path:
    return LOCALE_DIR / lang.value / "LC_MESSAGES" / f"{DOMAIN}.mo"


def load_translations(lang: Language) -> Translations:
    """The compiled catalog of a language; CatalogMissingError, saying how to compile it, if there is none."""
    path = catalog_path(lang)
    if not path.is_file():
        raise CatalogMissingError(
            f"{path} is missing: the translations are compiled at set-up. Run `make setup`, or "
            f"`pybabel compile -d {LOCALE_DIR} -D {DOMAIN}` (docs/translations.md)."
        )
    with path.open("rb") as file:
        return Translations(file, domain=DOMAIN)


@cache
def get_translator(lang: Language) -> Translator:
    """The translator of a language (catalogs are read once per process)."""
    return Translator(lang, load_translations(lang))


def normalise_code(code: str) -> str:
    """Error codes are matched without underscores: ``balanced_vote_insufficient_rv`` (as CTSError names
    it) and ``balanced_vote_insufficient_r_v`` (as the relayer derives it from the custom error) are one."""
    return code.replace("_", "").lower()


@cache
def kyiv() -> tuple[tzinfo, bool]:
    """Kyiv time (the zone database's old name on older systems), or UTC where no zone database exists;
    and whether it is Kyiv time."""
    for name in ("Europe/Kyiv", "Europe/Kiev"):
        try:
            return ZoneInfo(name), True
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC, False


class Translator:
    """The strings and formats of one language."""

    def __init__(self, lang: Language, translations: Translations) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang.value)
        self.translations = translations

    # ------------------------------------------------------------ gettext

    def gettext(self, message: str, **params: Any) -> str:
        text = self.translations.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": self.number(n), **params}

    def pgettext(self, context: str, message: str, **params: Any) -> str:
        text = str(self.translations.pgettext(context, message))
        return text % params if params else text

    def npgettext(self, context: str, singular: str, plural: str, n: int, **params: Any) -> str:
        text = str(self.translations.npgettext(context, singular, plural, n))
        return text % {"num": self.number(n), **params}

    # ------------------------------------------------------------ texts looked up by a value

    @cached_property
    def _labels(self) -> dict[str, dict[str, str]]:
        return messages.labels(self)

    @cached_property
    def _kinds(self) -> dict[str, str]:
        return messages.action_kinds(self)

    @cached_property
    def _errors(self) -> dict[str, str]:
        return {normalise_code(code): text for code, text in messages.error_messages(self).items()}

    def labels(self, family: str) -> dict[str, str]:
        """The names of one family of values (``round``: its states; ``role``; ``ledger``...)."""
        return self._labels[family]

    def label(self, family: str, value: object, **params: Any) -> str:
        """The name of a value (a round's state, a role...); the value itself if it has none yet."""
        text = self._labels[family].get(str(value))
        if text is None:
            return str(value)
        return text % params if params else text

    def kind(self, name: str) -> str:
        """What an action is called (the contract function it calls), with a fallback for a new one."""
        text = self._kinds.get(name)
        return text if text is not None else self.gettext("Action “%(name)s”", name=name)

    def error(self, code: str | None, detail: str | None = None, **params: Any) -> str:
        """The message for an error code; the service's English detail only where we have no text."""
        text = self._errors.get(normalise_code(code or "internal_error"))
        if text is not None:
            return text % params if params else text
        if self.lang == Language.EN and detail:
            return detail
        return self.gettext(
            "The action could not be done (code: %(code)s). Try again, or contact your coordinator.",
            code=code,
        )

    def refusal(self, error: CTSError) -> str:
        """The message for a CTSError, with the figures it carries (gas, a time) in this language's form."""
        params: dict[str, Any] = {}
        for name, value in getattr(error, "params", {}).items():
            if name.endswith("_at"):
                params[name] = (
                    self.when(int(value))
                    if value is not None
                    else self.gettext("never (this action needs more than the whole limit)")
                )
            elif isinstance(value, int):
                params[name] = self.number(value)
            else:
                params[name] = value
        return self.error(error.code, error.detail, **params)

    def has_error_message(self, code: str) -> bool:
        return normalise_code(code) in self._errors

    # ------------------------------------------------------------ formats (Babel's locale data)

    @property
    def decimal_symbol(self) -> str:
        return get_decimal_symbol(self.locale)

    @property
    def group_symbol(self) -> str:
        return get_group_symbol(self.locale)

    def number(self, number: int) -> str:
        """A whole number: 1 234 / 1,234."""
        return format_decimal(int(number), locale=self.locale)

    def uah(self, kopiyky: int) -> str:
        """Money: 1 234,50 грн / UAH 1,234.50 (whole hryvnias without decimals); never broken across lines."""
        kopiyky = int(kopiyky)
        pattern = "#,##0.00" if kopiyky % 100 else "#,##0"
        amount = format_decimal(Decimal(kopiyky).scaleb(-2), format=pattern, locale=self.locale)
        # Translators: an amount of money in hryvnias (UAH); Ukrainian writes "%(amount)s грн".
        return self.gettext("UAH %(amount)s", amount=amount).replace(" ", NBSP)

    def weight(self, weight: int) -> str:
        """A quadratic weight (nine decimals on chain) with three decimals, rounded down."""
        thousandths = int(weight) // 10**6
        return format_decimal(Decimal(thousandths).scaleb(-3), format="#,##0.000", locale=self.locale)

    def ratio(self, bps: int) -> str:
        """An impact ratio from basis points (45_788 -> 4,58), rounded half up to hundredths."""
        hundredths = (int(bps) + 50) // 100
        return format_decimal(Decimal(hundredths).scaleb(-2), format="0.00", locale=self.locale)

    def when(self, timestamp: int) -> str:
        """A chain timestamp in Kyiv time: 5 бер. 2025 р., 14:30 / Mar 5, 2025, 2:30 PM."""
        if not timestamp:
            return "—"
        return self._moment(datetime.fromtimestamp(int(timestamp), kyiv()[0]))

    def _moment(self, moment: datetime) -> str:
        """The date at medium width and the time at short width, joined the locale's way."""
        date = format_date(moment, "medium", locale=self.locale)
        time = format_time(moment, "short", locale=self.locale)
        joined = str(get_datetime_format("medium", locale=self.locale)).replace("'", "")
        return joined.replace("{1}", date).replace("{0}", time)

    @property
    def zone_name(self) -> str:
        return self.gettext("Kyiv time") if kyiv()[1] else "UTC"

    def filesize(self, size: int) -> str:
        """A file size in bytes, kilobytes or megabytes (of 1024): 10 МБ / 64 kB."""
        value, unit = float(size), 0
        while value >= 1024 and unit < len(FILE_SIZE_UNITS) - 1:
            value /= 1024
            unit += 1
        pattern = "0.#" if value < 10 and unit else "0"
        text = format_unit(value, FILE_SIZE_UNITS[unit], length="short", format=pattern, locale=self.locale)
        return text.replace(" ", NBSP)
