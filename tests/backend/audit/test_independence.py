"""The audit is a second implementation: it imports no tally, allocation or ledger code of the backend,
and never the database."""

from __future__ import annotations

import ast
from pathlib import Path

import cts.audit

AUDIT_PACKAGE = Path(cts.audit.__file__).parent
# What the audit may use of the rest of CTS: ABIs, manifests, and (if it wished) a plain web3 connection.
ALLOWED = {"cts.chain.artifacts", "cts.chain.manifest", "cts.chain.client"}
NEVER = (
    "sqlalchemy",
    "psycopg",
    "alembic",
    "cts.core",
    "cts.models",
    "cts.crud",
    "cts.pilot",
    "cts.relayer",
    "cts.api",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_audit_imports_nothing_of_the_backend_but_abis_and_manifests() -> None:
    sources = sorted(AUDIT_PACKAGE.glob("*.py"))
    assert len(sources) >= 10
    for source in sources:
        for module in imported_modules(source):
            if module.startswith("cts.") and not module.startswith("cts.audit"):
                assert module in ALLOWED, f"{source.name} imports {module}"
            assert not module.startswith(NEVER), f"{source.name} imports {module}"


def test_the_client_module_is_used_for_nothing_but_a_connection() -> None:
    for source in AUDIT_PACKAGE.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "cts.chain.client":
                assert {alias.name for alias in node.names} <= {"connect", "contract_at"}, source.name
