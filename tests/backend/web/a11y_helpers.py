"""What the accessibility tests measure on a page in the browser: axe-core's WCAG 2.0/2.1 A and AA rules,
the bytes a first visit transfers, whether the page still fits a phone with its text at 200 %, and whether
the focused element shows where the focus is. docs/accessibility.md says what each figure means."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import pytest

from cts.chain.artifacts import REPO_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page

AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 level AA is the first four tags together; axe's best practices add what the standard leaves to
# judgement and screen reader users rely on (one main landmark, all content in landmarks, distinct landmark
# names, headings in order, one h1): the pages keep those too.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# The page-weight budget (docs/accessibility.md): a first visit, nothing cached, all that crosses the wire
# (headers and compressed bodies) within 100 kB, about 5 s on a "slow 3G" link (400 kbit/s, 400 ms RTT).
PAGE_BUDGET_BYTES = 100_000
# The one exception: the auditors' verifier inlines ethers.js so that a saved copy works offline from disk.
VERIFIER_BUDGET_BYTES = 250_000


@cache
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run make setup (npm ci installs axe-core)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations (WCAG A/AA and best practices) on the page as it is now (the browser context
    must bypass the pages' CSP, which allows only the service's own scripts)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, AXE_TAGS)
    return violations


def describe_violations(where: str, violations: list[dict[str, Any]]) -> str:
    """Each violation as a person fixing it needs it: the rule, what it asks, and every element that fails."""
    lines = []
    for violation in violations:
        lines.append(
            f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} <{violation['url']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
            summary = " ".join(node["summary"].split())
            lines.append(f"      {summary[:400]}")
    return "\n".join(lines)


# ---------------------------------------------------------------- page weight


@dataclass
class WireMeter:
    """Counts the bytes each request of a page transfers (Chromium's encodedDataLength: headers and the body
    as sent, compressed when it was), with the cache off so that every page is measured as a first visit."""

    cdp: CDPSession
    sizes: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def attach(cls, page: Page) -> WireMeter:
        cdp = page.context.new_cdp_session(page)
        meter = cls(cdp)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.on("Network.requestWillBeSent", meter._sent)
        cdp.on("Network.loadingFinished", meter._finished)
        return meter

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict[str, Any]) -> None:
        self.sizes[event["requestId"]] = int(event["encodedDataLength"])

    def reset(self) -> None:
        self.sizes.clear()
        self.urls.clear()

    def total(self) -> int:
        """The bytes of everything finished since the last reset (a round trip first, so that every event
        Chromium sent before it has been counted)."""
        self.cdp.send("Runtime.evaluate", {"expression": "1"})
        return sum(self.sizes.values())

    def parts(self) -> dict[str, int]:
        return {self.urls.get(key, key): size for key, size in self.sizes.items()}


# ---------------------------------------------------------------- 200 % text, focus

# The root is 112.5 % (18 px) in cts.css: twice the browser's text size makes it 225 %.
DOUBLE_TEXT = "document.documentElement.style.setProperty('font-size', '225%', 'important')"
NORMAL_TEXT = "document.documentElement.style.removeProperty('font-size')"

# What does not fit the width: the page scrolling sideways, and any control or heading that sticks out of
# the window (a table or code block that scrolls inside its own box is fine: its content is reachable).
OVERFLOW = """() => {
  const width = window.innerWidth;
  const problems = [];
  const page = document.scrollingElement.scrollWidth;
  if (page > width) problems.push(`the page is ${page} px wide in a ${width} px window`);
  const scrolls = (el) => el.closest(".table-scroll, .code, .scroll, pre");
  const controls = "h1, h2, h3, a, button, input, select, textarea, label, summary";
  for (const el of document.querySelectorAll(controls)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || scrolls(el)) continue;
    if (el.closest(".skip-link, .visually-hidden")) continue;
    if (box.right > width + 1 || box.left < -1) {
      const text = (el.innerText || el.value || el.name || "").trim().slice(0, 40);
      const span = `${Math.round(box.left)}..${Math.round(box.right)} px`;
      problems.push(`${el.tagName.toLowerCase()} "${text}" spans ${span}`);
    }
  }
  return problems;
}"""


def overflow_at_double_text(page: Page) -> list[str]:
    page.evaluate(DOUBLE_TEXT)
    try:
        problems: list[str] = page.evaluate(OVERFLOW)
    finally:
        page.evaluate(NORMAL_TEXT)
    return problems


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "", id: el.id || "",
    text: (el.innerText || el.value || "").trim().slice(0, 60), ring: ring,
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < window.innerHeight,
  };
}"""


def focused(page: Page) -> dict[str, Any] | None:
    """The focused element, whether it shows a focus ring, and whether it is in view."""
    result: dict[str, Any] | None = page.evaluate(FOCUSED)
    return result
