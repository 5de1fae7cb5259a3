"""Fill the English catalog's new entries with their msgids, after `pybabel update` (run by `make messages`).

The msgids are the English source strings, so an English entry that is empty (new) or fuzzy (its msgid
changed) takes its msgid as is; an entry someone has deliberately worded differently is left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parents[1] / "backend/cts/web/locale/en/LC_MESSAGES/messages.po"


def main() -> int:
    with CATALOG.open("rb") as file:
        catalog = read_po(file, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        empty = not any(message.string) if isinstance(message.string, tuple) else not message.string
        if empty or message.fuzzy:
            message.string = message.id
            message.flags.discard("fuzzy")
            filled += 1
    catalog.obsolete.clear()
    with CATALOG.open("wb") as file:
        write_po(file, catalog, width=76)
    print(f"{CATALOG}: {filled} English entries filled from their msgids")
    return 0


if __name__ == "__main__":
    sys.exit(main())
