"""What the journal pages (and the API's journal answers) say: why a line will not be recorded, why a file
cannot be read, and the columns' names, which the printed template and the import share."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from cts.journals.reading import MAX_BYTES
from cts.models import JournalLine
from cts.web.i18n import Translator


def column_names(t: Translator) -> dict[str, str]:
    """The columns' headings (cts.journals.reading.HEADERS recognises them in both languages)."""
    pgettext = t.pgettext
    return {
        "date": pgettext("journal column", "Date"),
        "resident": pgettext("journal column", "Resident"),
        "programme": pgettext("journal column", "Programme"),
        "description": pgettext("journal column", "Description"),
        "evidence": pgettext("journal column", "Evidence file"),
    }


def reason_texts(t: Translator) -> dict[str, str]:
    """Why a line will not be recorded (cts.journals.checks.REASONS, and "refused" by the chain);
    ``%(value)s`` is the line, the case or the limit the reason names."""
    _ = t.gettext
    return {
        "text_too_long": _("A cell is too long (a description of at most 1000 characters, other cells 200)."),
        "missing_date": _("The date is missing."),
        "missing_resident": _("The resident is missing."),
        "missing_programme": _("The programme is missing."),
        "missing_description": _("The description of the work is missing."),
        "unreadable_date": _("Unreadable date: write it as 31.12.2026 or 2026-12-31."),
        "date_in_future": _("The date is in the future."),
        "unknown_resident": _(
            "Unknown resident: no resident of this hromada registered with this phone number or e-mail."
        ),
        "resident_inactive": _("The resident's participation is suspended, or they moved away."),
        "unknown_programme": _("Unknown programme: write its number or its exact title."),
        "programme_not_open": _("The programme is not open yet."),
        "programme_paused": _("The programme is paused."),
        "programme_closed": _("The programme is closed: it takes no more cases."),
        "before_programme": _("The programme was not yet open on that date."),
        "after_programme": _("The programme had already ended on that date."),
        "duplicate_line": _("Repeats line %(value)s of this journal."),
        "duplicate_case": _("Already recorded on the blockchain: case #%(value)s."),
        "already_queued": _("Already being recorded (an earlier import); it will be recorded once."),
        "resident_cap": _("Over the programme's limit for one person (%(value)s RV)."),
        "programme_cap": _("Over the programme's RV in all (%(value)s RV)."),
    }


def file_error_texts(t: Translator) -> dict[str, str]:
    """Why a file cannot be imported (cts.journals.reading.JournalFileError codes)."""
    _ = t.gettext
    return {
        "journal_missing": _("Choose the journal's file."),
        "journal_empty": _("The file has no lines."),
        "journal_too_large": _("The file is too large: at most %(limit)s."),
        "journal_too_many_lines": _("Too many lines: at most %(limit)s in one file. Split the journal."),
        "journal_type": _("This is not a journal file: send a CSV or XLSX file."),
        "journal_old_excel": _("Old Excel files (.xls) cannot be read: save the journal as XLSX or CSV."),
        "journal_unreadable": _("The file cannot be read: it may be damaged. Save it again as XLSX or CSV."),
        "journal_no_header": _(
            "The first row must name the columns: Date, Resident, Programme, Description, Evidence file."
        ),
    }


def file_error(t: Translator, code: str, params: dict[str, object]) -> str:
    text = file_error_texts(t).get(code, file_error_texts(t)["journal_unreadable"])
    values: dict[str, object] = {}
    if code == "journal_too_large":
        values["limit"] = t.filesize(MAX_BYTES)
    elif "limit" in params:
        values["limit"] = t.number(int(str(params["limit"])))
    return text % values if values else text


def reason_text(t: Translator, line: JournalLine) -> str:
    """Why this line will not be recorded, in ``t``'s language ("" for a good line)."""
    if line.reason is None:
        return ""
    if line.reason == "refused":  # the chain refused it when it was queued: the contract's own words
        return t.error(line.reason_value or "refused_on_chain")
    value = line.reason_value or ""
    if line.reason in ("duplicate_case", "resident_cap", "programme_cap") and value.isdigit():
        value = t.number(int(value))
    text = reason_texts(t).get(line.reason, line.reason)
    return text % {"value": value} if "%(value)s" in text else text


def day(t: Translator, value: date) -> str:
    """A date without a time, at the locale's medium width (5 бер. 2026 р. / Mar 5, 2026)."""
    return format_date(value, "medium", locale=t.locale)
