"""The auditor's in-browser verifier (issue 17): one self-contained HTML file, made at request time from the
verifier's own scripts (static/verify/), the pages' CSS, and ethers.js's UMD build as npm installed it.

Nothing is committed twice: the page is the template plus those files, read when first asked for. A deployed
service has node_modules (``make setup`` runs ``npm ci``); without it the page says what is missing. The
file links to nothing, so it works saved to disk and opened offline; it talks only to the RPC URL the
auditor types (and to the published results' address, if one is given)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cts.chain.artifacts import REPO_ROOT
from cts.models import Hromada
from cts.web.render import STATIC_DIR

ETHERS_PACKAGE = REPO_ROOT / "node_modules" / "ethers"
# The UMD build defines the global `ethers`, which a page without modules (a file opened from disk) needs.
ETHERS_UMD = Path("dist") / "ethers.umd.min.js"
VERIFY_DIR = STATIC_DIR / "verify"
# In this order: each script uses the globals of those before it.
SCRIPTS = ("rules.js", "recount.js", "chain.js", "verify.js")
STYLES = (STATIC_DIR / "cts.css", VERIFY_DIR / "verify.css")


class VerifierUnavailableError(RuntimeError):
    """Raised when the page cannot be made: ethers.js is not installed, or a file could not be inlined."""


@dataclass(frozen=True)
class VerifierAssets:
    css: str
    scripts: tuple[str, ...]  # ethers.js first, then the verifier's own
    ethers_version: str

    @property
    def content_security_policy(self) -> str:
        """Only these very scripts and styles run (by their hashes); the page may ask any http(s) address,
        since the auditor chooses the node. Nothing else: no other script, frame, form target or plugin."""
        scripts = " ".join(_digest(s) for s in self.scripts)
        return (
            f"default-src 'none'; script-src {scripts}; style-src {_digest(self.css)}; img-src data:; "
            "connect-src http: https:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
        )


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _inlinable(path: Path, text: str) -> str:
    # Inside <script> or <style>, the only thing that ends the element early is its closing tag.
    if "</script" in text.lower() or "</style" in text.lower():
        raise VerifierUnavailableError(f"{path} cannot be inlined: it contains a closing tag")
    return text


@cache
def load_assets(ethers_package: Path = ETHERS_PACKAGE) -> VerifierAssets:
    """The page's CSS and scripts, read once per process."""
    umd = ethers_package / ETHERS_UMD
    try:
        version = str(json.loads((ethers_package / "package.json").read_text(encoding="utf-8"))["version"])
        ethers = umd.read_text(encoding="utf-8")
    except (OSError, ValueError, KeyError) as error:
        raise VerifierUnavailableError(
            f"ethers.js is not installed at {umd} (run `make setup`, which runs `npm ci`): {error}"
        ) from None
    css = "\n".join(_inlinable(p, p.read_text(encoding="utf-8")) for p in STYLES)
    own = [_inlinable(VERIFY_DIR / n, (VERIFY_DIR / n).read_text(encoding="utf-8")) for n in SCRIPTS]
    return VerifierAssets(css=css, scripts=(_inlinable(umd, ethers), *own), ethers_version=version)


def hromada_manifest(hromada: Hromada) -> dict[str, Any]:
    """The hromada as a deployment manifest of one hromada (the format `cts audit --manifest` reads), from
    what the service knows of it: the verifier needs the chain id, the contracts and the first block."""
    return {
        "schema": 1,
        "chain_id": hromada.chain_id,
        "shared": {},
        "hromadas": {
            hromada.slug: {
                "name": hromada.name,
                "hromada_id": hromada.factory_id or 0,
                "block": hromada.deployed_block,
                "contracts": dict(hromada.contracts or {}),
            }
        },
    }


def shareable_rpc_url(url: str) -> str:
    """The service's RPC URL to suggest to the auditor, unless it may carry the operator's key: providers put
    keys in the path (/v2/<key>), the query or the user part, so only a bare scheme://host[:port] is shown."""
    parts = urlsplit(url)
    bare = parts.scheme in ("http", "https") and not parts.username and not parts.query
    return url if bare and parts.path in ("", "/") else ""
