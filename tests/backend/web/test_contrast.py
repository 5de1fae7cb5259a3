"""The pages' colours meet WCAG 2.1 AA: text at least 4.5:1 against its background, and the borders of
controls and the focus ring at least 3:1 (read from the stylesheet, so that a change of colour is checked)."""

from __future__ import annotations

import re

import pytest

from cts.web.render import STATIC_DIR

CSS = (STATIC_DIR / "cts.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def colour(name: str) -> str:
    return VARIABLES.get(name.removeprefix("var(--").removesuffix(")"), name)


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    high, low = sorted((luminance(colour(first)), luminance(colour(second))), reverse=True)
    return (high + 0.05) / (low + 0.05)


TEXT_PAIRS = [
    ("text", "page"),
    ("muted", "page"),
    ("muted", "soft"),
    ("link", "page"),
    ("link", "soft"),
    ("#ffffff", "blue"),
    ("#ffffff", "blue-dark"),
    ("blue-dark", "page"),
    ("red", "page"),
    ("red", "red-soft"),
    ("green", "green-soft"),
    ("amber", "amber-soft"),
    ("text", "amber-soft"),
    ("text", "#e8f0fb"),
    ("blue-dark", "#e8f0fb"),
    ("text", "yellow"),
    ("#262626", "#e9ebee"),
]


@pytest.mark.parametrize(("text", "background"), TEXT_PAIRS)
def test_text_is_readable_on_its_background(text: str, background: str) -> None:
    assert contrast(text, background) >= 4.5


@pytest.mark.parametrize(
    ("border", "background"), [("text", "page"), ("line", "page"), ("blue", "page"), ("red", "page")]
)
def test_borders_of_controls_and_the_focus_ring_are_visible(border: str, background: str) -> None:
    assert contrast(border, background) >= 3.0


def test_the_badges_use_only_checked_pairs() -> None:
    for rule in re.findall(r"\.badge--[^{]+\{([^}]*)\}", CSS):
        background = re.search(r"background:\s*([^;]+);", rule)
        text = re.search(r"[^-]color:\s*([^;]+);", rule)
        assert background and text
        assert contrast(text.group(1).strip(), background.group(1).strip()) >= 4.5


# The issues' map (issues.css): markers against the plain map background (shown when tiles cannot load) and
# its hatching, the marker's ring, and the links of the popup and the attribution.
MAP_GRAPHICS = [
    ("#1d4ed8", "#eef2f0"),
    ("#1d4ed8", "#e2e8e4"),
    ("#92400e", "#eef2f0"),
    ("#92400e", "#e2e8e4"),
    ("#1f2937", "#eef2f0"),
    ("#6b7280", "#ffffff"),  # the map's border
]


@pytest.mark.parametrize(("mark", "background"), MAP_GRAPHICS)
def test_the_maps_markers_and_edges_are_visible_without_tiles(mark: str, background: str) -> None:
    assert contrast(mark, background) >= 3.0


@pytest.mark.parametrize(("text", "background"), [("#1d4ed8", "#ffffff"), ("#1f2937", "#ffffff")])
def test_the_maps_popup_and_attribution_are_readable(text: str, background: str) -> None:
    assert contrast(text, background) >= 4.5
    assert text in (STATIC_DIR / "issues.css").read_text()
