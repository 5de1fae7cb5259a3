"""requirements/ holds only what the code uses: every package of the backend's lock is a declared dependency
(pyproject.toml) or one of theirs, every declared dependency is imported by the code or named here with the
reason it is needed anyway, and the commercial solver gurobipy, which pabutools declares but CTS never
imports, is not installed (README, "What the set-up installs")."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = {"gurobipy"}  # declared by pabutools, imported only by pabutools.analysis (never by CTS)
# Declared dependencies the code never imports by name, and why they are needed all the same.
NOT_IMPORTED = {
    "coincurve": "eth-keys signs with it when installed (60x faster than its pure-Python backend)",
    "python-multipart": "FastAPI parses the pages' forms and evidence uploads with it",
    "defusedxml": "openpyxl parses an uploaded journal's XML with it when it is installed (entity attacks)",
}
# Distribution name -> module name, where it is not the name with "-" as "_".
MODULES = {
    "pyyaml": "yaml",
    "argon2-cffi": "argon2",
    "pabulib-checker": "pabulib",
    "py-solc-x": "solcx",
    "fpdf2": "fpdf",
    "pillow": "PIL",
}


def _pyproject() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"main": project["dependencies"], "dev": project["optional-dependencies"]["dev"]}


def _lock() -> set[str]:
    text = (ROOT / "requirements" / "backend.txt").read_text()
    return {canonicalize_name(line.split("==")[0]) for line in text.splitlines() if "==" in line}


def _reached(roots: list[str]) -> set[str]:
    """Every distribution the declared dependencies need, as their installed metadata says."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo = [Requirement(root) for root in roots]
    while todo:
        requirement = todo.pop()
        key = (canonicalize_name(requirement.name), tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        if key[0] in LEFT_OUT:
            continue  # not installed: nothing further to follow
        for line in metadata.distribution(requirement.name).requires or []:
            needed = Requirement(line)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras):
                todo.append(needed)
    return {name for name, _ in seen}


def test_the_lock_holds_the_declared_dependencies_and_theirs_only() -> None:
    declared = _pyproject()
    reached = _reached(declared["main"] + declared["dev"])
    lock = _lock()
    assert lock - reached == set(), "in requirements/backend.txt, needed by nothing declared"
    assert reached - lock == LEFT_OUT, "needed by a declared dependency, missing from the lock"


def test_every_declared_dependency_is_used() -> None:
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("backend", "tests", "scripts", "tools", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
    )
    unused = []
    for line in _pyproject()["main"] + _pyproject()["dev"]:
        name = canonicalize_name(Requirement(line).name)
        if name in NOT_IMPORTED or name in {"pytest", "ruff", "mypy"}:  # the tools run by make
            continue
        module = MODULES.get(name, name.replace("-", "_"))
        if not re.search(rf"^\s*(import|from) {re.escape(module)}\b", sources, re.MULTILINE):
            unused.append(name)
    assert unused == []


def test_gurobipy_is_not_installed_and_what_cts_uses_of_pabutools_imports_without_it() -> None:
    assert find_spec("gurobipy") is None
    code = (
        "import sys; sys.modules['gurobipy'] = None\n"  # any import of it would fail
        "import cts.audit.mes, cts.audit.pabulib\n"
        "from pabutools.election import CumulativeBallot, parse_pabulib, Instance\n"
        "from pabutools.rules import method_of_equal_shares\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
