"""The printable journal of one programme (PDF, A4 landscape): the import's columns, the programme's number
and title, its window and limits, in the reader's language, with the programme's number already in every
row, so that the lines typed from it later are read back as they were written.

Made with fpdf2 (pure Python) in DejaVu Sans, which has Cyrillic: the font files come with matplotlib's wheel
(already installed for ``cts report``), so no system font is needed; Debian's fonts-dejavu-core is used
where matplotlib's copy is missing.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from cts.journals.checks import kyiv_day
from cts.journals.reading import COLUMNS
from cts.web.i18n import Translator
from cts.web.journal_messages import column_names, day
from cts.web.reads import ProgrammeView

BLANK_ROWS = 14
COLUMN_WIDTHS = (28, 62, 26, 105, 52)  # mm, of the 273 between A4 landscape's margins
DEBIAN_FONTS = Path("/usr/share/fonts/truetype/dejavu")


class FontMissingError(RuntimeError):
    """Raised when neither matplotlib's nor Debian's DejaVu Sans is installed."""


@cache
def font_files() -> tuple[Path, Path]:
    """DejaVu Sans, regular and bold."""
    spec = find_spec("matplotlib")
    folders = [DEBIAN_FONTS]
    if spec is not None and spec.origin is not None:
        folders.insert(0, Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    for folder in folders:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise FontMissingError("DejaVu Sans is missing: install matplotlib (make setup) or fonts-dejavu-core")


def journal_template(t: Translator, hromada_name: str, programme: ProgrammeView) -> bytes:
    """The PDF of a blank journal for ``programme``, in ``t``'s language."""
    regular, bold = font_files()
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_margins(12, 10, 12)
    pdf.set_auto_page_break(auto=True, margin=12)
    title = t.gettext("Journal of useful cases")
    pdf.set_title(f"{title}: {programme.title}")
    pdf.set_lang(t.lang.value)
    pdf.set_creator("CTS")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.add_page()

    def line(text: str, size: float = 10, style: str = "") -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(title, 16, "B")
    line(hromada_name, 11)
    pdf.ln(1)
    line(t.gettext("Programme #%(id)s: %(title)s", id=programme.id, title=programme.title), 12, "B")
    line(
        t.gettext(
            "Open from %(start)s to %(end)s. Reward: %(reward)s RV per case; at most %(cap)s RV per person.",
            start=day(t, kyiv_day(programme.starts_at)),
            end=day(t, kyiv_day(programme.ends_at - 1)),
            reward=t.number(programme.reward_rv),
            cap=t.number(programme.per_resident_cap_rv),
        )
    )
    line(
        t.gettext(
            "One line per case. Date: as 31.12.2026. Resident: their phone number or e-mail, as the council "
            "registered it. Programme: its number, %(id)s. Evidence file: the name of the photo or scan, "
            "if there is one.",
            id=programme.id,
        ),
        9,
    )
    pdf.ln(2)
    names = column_names(t)
    pdf.set_font("DejaVu", "", 10)
    with pdf.table(col_widths=COLUMN_WIDTHS, line_height=9, repeat_headings=1) as table:
        heading = table.row()
        for column in COLUMNS:
            heading.cell(names[column])
        for _ in range(BLANK_ROWS):
            row = table.row()
            for column in COLUMNS:
                row.cell(str(programme.id) if column == "programme" else "")
    pdf.ln(4)
    line(t.gettext("Coordinator: ______________________   Signature: ______________"), 10)
    return bytes(pdf.output())
