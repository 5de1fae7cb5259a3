"""`cts report --lang uk|en`: the report in the pages' languages (gettext catalogs), in Kyiv time, with a
link back to the hromada's pages when given, and how to check its figures without trusting the service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from audit_history import HonestHistory

from cts.cli import main
from cts.models import Language
from cts.web.i18n import get_translator


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_cts_report_speaks_the_language_asked_for_in_kyiv_time(
    honest: HonestHistory, rpc_url: str, tmp_path: Path, lang: str
) -> None:
    t = get_translator(Language(lang))
    site = "https://cts.example.org/h/demo/public"
    argv = ["report", "--rpc", rpc_url, "--hromada", honest.handles.token.address, "--out", str(tmp_path)]
    assert main([*argv, "--quiet", "--lang", lang, "--site", site]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    assert t.gettext("Kyiv time") in html and "UTC" not in html
    assert f'href="{site}"' in html
    assert t.gettext("How to check these figures yourself") in html
    assert f"cts audit --rpc RPC_URL --hromada {honest.handles.token.address}" in html
    assert t.gettext("RV issued by programme") in html
    if lang == "uk":
        assert "RV issued by programme" not in html and "Summary" not in html
    assert re.search(r'<svg[^>]*viewBox="0 0 [\d.]+ [\d.]+"', html)  # charts scale to the screen
