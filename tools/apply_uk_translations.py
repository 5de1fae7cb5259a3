"""Put the Ukrainian translations of a feature's new strings into the uk catalog, after `make messages`.

A feature's translations are written beside the catalog as a JSON object (backend/cts/web/locale/
uk-translations-<feature>.json): an English msgid (with its context as "context\\u0004msgid") to its Ukrainian
text, or to a list of three forms for a plural (one, few, many). Only entries that are new (empty) or fuzzy
take the JSON's text; a reviewed translation is never overwritten. Prints what is still untranslated.

    .venv/bin/python tools/apply_uk_translations.py backend/cts/web/locale/uk-translations-*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parents[1] / "backend/cts/web/locale/uk/LC_MESSAGES/messages.po"


def key(message_id: str | tuple[str, ...], context: str | None) -> str:
    singular = message_id[0] if isinstance(message_id, tuple) else message_id
    return f"{context}\u0004{singular}" if context else singular


def main(paths: list[str]) -> int:
    texts: dict[str, str | list[str]] = {}
    for path in paths:
        texts.update(json.loads(Path(path).read_text(encoding="utf-8")))
    with CATALOG.open("rb") as file:
        catalog = read_po(file, locale="uk")
    applied, missing = 0, []
    for message in catalog:
        if not message.id:
            continue
        empty = not all(message.string) if isinstance(message.string, tuple) else not message.string
        if not (empty or message.fuzzy):
            continue
        text = texts.get(key(message.id, message.context))
        if text is None:
            missing.append(key(message.id, message.context))
            continue
        message.string = tuple(text) if isinstance(text, list) else text
        message.flags.discard("fuzzy")
        message.previous_id = []
        applied += 1
    catalog.obsolete.clear()
    with CATALOG.open("wb") as file:
        write_po(file, catalog, width=76)
    print(f"{applied} translations applied; {len(missing)} still untranslated")
    for entry in missing:
        print("  untranslated:", entry.replace("\u0004", " | "))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
