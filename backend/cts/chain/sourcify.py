"""Submitting a contract's standard-JSON input to Sourcify (API v2) and waiting for its verdict.

    POST {url}/v2/verify/{chainId}/{address}
         {"stdJsonInput": {...}, "compilerVersion": "0.8.28+commit.7893614a",
          "contractIdentifier": "contracts/RVToken.sol:RVToken", "creationTransactionHash": "0x..."}
      -> 202 {"verificationId": "<uuid>"}, or 409 when the contract is verified already
    GET  {url}/v2/verify/{verificationId}
      -> 200 {"isJobCompleted": bool, "contract": {"match": "exact_match" | "match" | null, ...},
              "error": {"customCode": ..., "message": ...}}

Standard library only: `scripts/deploy.py` imports it from Brownie's environment.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

PUBLIC_URL = "https://sourcify.dev/server"
# The top-level fields of stdJsonInput that Sourcify accepts (others are refused).
INPUT_FIELDS = ("language", "sources", "settings")


class SourcifyError(RuntimeError):
    """Raised when Sourcify cannot be reached, refuses a submission, or its job ends without a match."""


def build_request(
    chain_id: int,
    address: str,
    input_json: dict[str, Any],
    compiler_version: str,
    contract: str,
    creation_tx: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The path and JSON body of a standard-JSON verification request."""
    body: dict[str, Any] = {
        "stdJsonInput": {key: input_json[key] for key in INPUT_FIELDS if key in input_json},
        "compilerVersion": compiler_version.removeprefix("v"),
        "contractIdentifier": contract,
    }
    if creation_tx:
        body["creationTransactionHash"] = creation_tx
    return f"/v2/verify/{chain_id}/{address}", body


def _call(url: str, body: dict[str, Any] | None = None, timeout: float = 60) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (the URL is the operator's Sourcify setting)
        url, data=data, method="POST" if data else "GET", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read() or b"{}")
        except ValueError:
            detail = {"message": error.reason}
        return error.code, detail
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise SourcifyError(f"{url}: {error}") from None


def submit(base_url: str, path: str, body: dict[str, Any]) -> str | None:
    """Send a verification request; the job's id, or None if Sourcify has the contract verified already."""
    status, answer = _call(base_url.rstrip("/") + path, body)
    if status == 409:
        return None
    if status != 202 or not answer.get("verificationId"):
        raise SourcifyError(f"Sourcify answered {status}: {answer.get('message', answer)}")
    return str(answer["verificationId"])


def wait_for_job(base_url: str, verification_id: str, timeout: float = 300, poll: float = 2) -> str:
    """Poll the job until it completes; returns its match ("exact_match" or "match")."""
    deadline = time.monotonic() + timeout
    while True:
        status, job = _call(f"{base_url.rstrip('/')}/v2/verify/{verification_id}")
        if status != 200:
            raise SourcifyError(f"Sourcify answered {status} for job {verification_id}: {job}")
        if job.get("isJobCompleted"):
            match = (job.get("contract") or {}).get("match")
            if not match:
                error = job.get("error") or {}
                raise SourcifyError(
                    f"job {verification_id} found no match: {error.get('customCode')}: {error.get('message')}"
                )
            return str(match)
        if time.monotonic() > deadline:
            raise SourcifyError(f"job {verification_id} still running after {timeout:.0f} s")
        time.sleep(poll)


def publish(
    shared: dict[str, dict[str, Any]],
    manifest_dir: Path,
    chain_id: int,
    base_url: str,
    say: Callable[[str], None] = print,
    timeout: float = 300,
) -> None:
    """Submit every shared contract not yet verified on this Sourcify; the outcome goes in its entry.

    A refusal or a timeout is recorded and said, never raised: the deployment stands without it, and the
    next run of the deployment submits again.
    """
    for name, entry in shared.items():
        record = entry.get("verification")
        done = entry.get("published", {}).get("sourcify", {})
        if not record or (done.get("url") == base_url and done.get("match")):
            continue
        input_json = json.loads((manifest_dir / record["input"]).read_text())
        path, body = build_request(
            chain_id, entry["address"], input_json, record["compiler"], record["contract"], entry.get("tx")
        )
        try:
            job = submit(base_url, path, body)
            match = "already_verified" if job is None else wait_for_job(base_url, job, timeout)
        except SourcifyError as error:
            say(f"deploy: Sourcify did not verify {name}: {error}")
            entry.setdefault("published", {})["sourcify"] = {"url": base_url, "error": str(error)}
            continue
        say(f"deploy: {name} verified on Sourcify ({match})")
        entry.setdefault("published", {})["sourcify"] = {
            "url": base_url,
            "verification_id": job,
            "match": match,
        }
