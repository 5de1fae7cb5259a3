"""Idempotency keys: a retried request does its work once, and gets the first answer again.

Every mutating route (POST/PUT/PATCH/DELETE, except login) takes ``IdempotencyDep`` and ends with
``return idempotency.respond(public_model, status_code)``. That stores the response in the same
database transaction as the route's own changes and commits both together: a crash can never
record one without the other. Then:

- a request without the ``Idempotency-Key`` header, or with a malformed one, gets 400;
- a retry with the same key, method, path and body gets the stored status and body back (with the
  header ``Idempotent-Replayed: true``) and the route does not run;
- the same key with a different method, path or body gets 409;
- keys are per user (anonymous sign-ups share one space of keys among themselves).

Only successful responses are stored. A request that fails changes nothing (the route's
transaction is rolled back), so its retry simply runs again, and may succeed once the cause is gone.

Concurrent duplicates: two requests with the same key may both pass the first look-up and both
run. The unique constraint on (user, key) decides: exactly one transaction commits; the other fails
(on the idempotency row, or earlier on the route's own unique data), is rolled back whole, and
answers with the winner's stored response (or 409 if its body differs). Nothing is done twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, NoReturn, cast

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from cts.api.deps import OptionalUser, SessionDep
from cts.errors import (
    CTSError,
    IdempotencyKeyInvalidError,
    IdempotencyKeyMissingError,
    IdempotencyKeyReusedError,
)
from cts.models import IdempotencyRecord

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,128}")


@dataclass(frozen=True)
class IdempotentRequest:
    """The identity of a mutating request: the client's key and a fingerprint of what it asks."""

    key: str
    method: str
    path: str
    request_hash: str


def hash_request_body(body: bytes) -> str:
    """SHA-256 of the body; JSON is canonicalised first, so key order and spacing do not matter."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


async def read_idempotent_request(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_KEY_HEADER,
            description="Required on every request that changes data: 8-128 characters of "
            "[A-Za-z0-9_-], new for each action, the same when retrying that action.",
        ),
    ] = None,
) -> IdempotentRequest:
    if idempotency_key is None or not idempotency_key.strip():
        raise IdempotencyKeyMissingError()
    if not _KEY_PATTERN.fullmatch(idempotency_key):
        raise IdempotencyKeyInvalidError()
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return IdempotentRequest(
        key=idempotency_key,
        method=request.method,
        path=path,
        request_hash=hash_request_body(await request.body()),
    )


class IdempotentReplay(Exception):
    """Raised to answer a retry with the stored response; the app's handler turns it into that response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(f"replay of idempotency record {record.id}")
        self.record = record


def build_response(status_code: int, body: str, *, replayed: bool = False) -> Response:
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    if not body:
        return Response(status_code=status_code, headers=headers)
    return Response(content=body, status_code=status_code, media_type="application/json", headers=headers)


def replay_response(record: IdempotencyRecord) -> Response:
    return build_response(record.response_status, record.response_body, replayed=True)


def find_idempotency_record(session: Session, user_id: int | None, key: str) -> IdempotencyRecord | None:
    owner = IdempotencyRecord.user_id.is_(None) if user_id is None else IdempotencyRecord.user_id == user_id
    return session.scalar(select(IdempotencyRecord).where(owner, IdempotencyRecord.key == key))


class Idempotency:
    """A mutating request that has not been answered before; ``respond`` answers it and records that."""

    def __init__(self, session: Session, user_id: int | None, request: IdempotentRequest) -> None:
        self._session = session
        self._user_id = user_id
        self._request = request

    def __repr__(self) -> str:
        return f"Idempotency({self._request.method} {self._request.path}, user_id={self._user_id!r})"

    def raise_if_answered(self) -> None:
        """Replay the stored response if this key was answered; refuse the key if it was used otherwise."""
        record = find_idempotency_record(self._session, self._user_id, self._request.key)
        if record is None:
            return
        if (record.method, record.path, record.request_hash) == (
            self._request.method,
            self._request.path,
            self._request.request_hash,
        ):
            raise IdempotentReplay(record)
        raise IdempotencyKeyReusedError()

    def respond(self, content: BaseModel | None, status_code: int = 200) -> Response:
        """Record the response and commit it with the route's changes, then return it.

        If a concurrent request with the same key committed first, this transaction is rolled back
        (the route's changes with it) and the winner's response is replayed instead.
        """
        body = content.model_dump_json() if content is not None else ""
        self._session.add(
            IdempotencyRecord(
                user_id=self._user_id,
                key=self._request.key,
                method=self._request.method,
                path=self._request.path,
                request_hash=self._request.request_hash,
                response_status=status_code,
                response_body=body,
            )
        )
        try:
            self._session.commit()
        except IntegrityError:
            self._session.rollback()
            self.raise_if_answered()
            raise
        return build_response(status_code, body)

    def settle_failure(self, error: BaseException) -> NoReturn:
        """After the route failed: if a concurrent duplicate was answered meanwhile, answer as it did."""
        self._session.rollback()
        self.raise_if_answered()
        raise error


def get_idempotency(
    request: Annotated[IdempotentRequest, Depends(read_idempotent_request)],
    session: SessionDep,
    user: OptionalUser,
) -> Iterator[Idempotency]:
    idempotency = Idempotency(session, user.id if user is not None else None, request)
    idempotency.raise_if_answered()
    try:
        yield idempotency
    except (CTSError, SQLAlchemyError) as error:
        idempotency.settle_failure(error)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


def purge_idempotency_records(session: Session, older_than: datetime) -> int:
    """Delete records created before ``older_than`` (retries come within minutes; keep a day or so).

    Records hold response bodies, which may carry personal data: do not keep them for ever.
    """
    statement = delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)
    return cast(CursorResult[Any], session.execute(statement)).rowcount
