"""Contract ABIs and bytecode, read from the artifacts that `brownie compile` writes.

The backend never imports Brownie (the two live in separate environments); it reads
``build/contracts/<Name>.json``. ``CTS_BUILD_DIR`` points elsewhere (an installed copy).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]


class ArtifactNotFoundError(FileNotFoundError):
    """Raised when a contract's artifact is missing: the contracts were not compiled."""


@dataclass(frozen=True)
class Artifact:
    """What the backend needs of a compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


def build_dir() -> Path:
    return Path(os.environ.get("CTS_BUILD_DIR", REPO_ROOT / "build" / "contracts"))


@cache
def load_artifact(name: str) -> Artifact:
    path = build_dir() / f"{name}.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactNotFoundError(
            f"no artifact for contract {name!r} at {path}: run `make setup` (it runs `brownie compile`)"
        ) from None
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode="0x" + data["bytecode"].removeprefix("0x"),
        deployed_bytecode="0x" + data["deployedBytecode"].removeprefix("0x"),
    )
