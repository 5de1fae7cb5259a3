"""Forms: what was submitted, its checks, and the guard that runs a mutating form exactly once.

Every mutating form carries two hidden fields, both made when the form was rendered:

- ``csrf_token``, checked against the session (signed in) or against the ``cts_csrf`` cookie (signed out);
- ``form_key``, a one-time key. The first successful submission stores its outcome (where to go next) in
  the idempotency records table under that key, in the same transaction as the action it queued. A
  resubmission with the same key (a double click, back-and-resend, a retry after a timeout) queues nothing
  and goes to the same result. A failed submission stores nothing, so sending it again runs again.

On any error the form is rendered again with what the person typed (never a password) and the message next
to the field or at the top of the form.

A form captured while offline (docs/offline.md) is sent later by the page's script with the header
``X-CTS-Offline: 1`` and the form_key it was captured with: the same guard runs it once, and it is answered
in JSON instead (``offline_answer``), which the script keeps on the device as sent or refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.datastructures import FormData, UploadFile

from cts.api.idempotency import find_idempotency_record
from cts.errors import CTSError, ServiceUnavailableError
from cts.models import IdempotencyRecord
from cts.relayer.schemas import _address

if TYPE_CHECKING:
    from cts.web.deps import Page
    from cts.web.i18n import Translator

logger = logging.getLogger(__name__)
FORM_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_WEB_FORM_HASH = hashlib.sha256(b"cts/web-form/v1").hexdigest()
_NEVER_ECHOED = frozenset({"password", "csrf_token", "form_key"})
UAH_PATTERN = re.compile(r"(\d+)(?:[.,](\d{1,2}))?")
WHOLE_PATTERN = re.compile(r"-?\d{1,30}")
# Realistic upper limits for what people type (the chain's own limits, such as 2**64 - 1, mean nothing to
# them): a billion RV, ten billion hryvnias.
MAX_RV = 1_000_000_000
MAX_KOPIYKY = 10_000_000_000 * 100


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


@dataclass
class FormState:
    """A form as rendered: its one-time key, the values to show, and the errors to show next to them.

    ``name`` prefixes the ids of its controls, so that several forms on one page never share an id.
    """

    name: str = "f"
    key: str = field(default_factory=new_form_key)
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def field_id(self, name: str) -> str:
        return f"{self.name}-{name}"

    @classmethod
    def blank(cls, name: str = "f", **values: Any) -> FormState:
        return cls(name=name, values={k: str(v) for k, v in values.items()})


class FormInvalid(Exception):
    """Raised when fields are missing or wrong; the form's errors say which and why."""


@dataclass
class Done:
    """A form's successful outcome: where to go next, and anything to do to the response (a cookie)."""

    redirect: str
    extra: dict[str, Any] = field(default_factory=dict)
    apply: Callable[[Response], None] | None = None


class SubmittedForm:
    """A submitted form, its CSRF verdict, and checked accessors that record errors per field."""

    def __init__(self, data: FormData, csrf_ok: bool, t: Translator) -> None:
        self.data = data
        self.csrf_ok = csrf_ok
        self.t = t
        key = data.get("form_key")
        self.key = key if isinstance(key, str) and FORM_KEY_PATTERN.fullmatch(key) else None
        self.values: dict[str, str] = {}
        self.lists: dict[str, list[str]] = {}
        for name, value in data.multi_items():
            if isinstance(value, str) and name not in _NEVER_ECHOED:
                self.values.setdefault(name, value)
                self.lists.setdefault(name, []).append(value)
        self.errors: dict[str, str] = {}
        self.message = ""

    def state(self, name: str = "f") -> FormState:
        return FormState(
            name=name,
            key=self.key or new_form_key(),
            values=dict(self.values),
            lists={k: list(v) for k, v in self.lists.items()},
            errors=dict(self.errors),
            message=self.message,
        )

    # ------------------------------------------------------------ accessors

    def error(self, name: str, message: str) -> None:
        """Record a field's error (already in the page's language); the first one stays."""
        self.errors.setdefault(name, message)

    def raw(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def has(self, name: str) -> bool:
        return bool(self.raw(name))

    def text(
        self, name: str, *, required: bool = True, max_length: int = 200, max_bytes: int | None = None
    ) -> str:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, self.t.gettext("Fill in this field."))
            return ""
        if len(value) > max_length:
            self.error(
                name,
                self.t.ngettext("At most %(num)s character.", "At most %(num)s characters.", max_length),
            )
        elif max_bytes is not None and len(value.encode("utf-8")) > max_bytes:
            self.error(
                name,
                self.t.ngettext(
                    "Too long: at most %(num)s byte (about %(letters)s Cyrillic letters).",
                    "Too long: at most %(num)s bytes (about %(letters)s Cyrillic letters).",
                    max_bytes,
                    letters=self.t.number(max_bytes // 2),
                ),
            )
        return value

    def password(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not value:
            self.error(name, self.t.gettext("Fill in this field."))
            return ""
        return value

    def integer(
        self, name: str, *, minimum: int = 0, maximum: int | None = None, required: bool = True
    ) -> int:
        """A whole number; a wrong one gets the range in the person's terms (never a machine limit)."""
        value = re.sub(r"[\s\u00a0\u202f]", "", self.raw(name)).replace("\u2212", "-")
        if not value:
            if required:
                self.error(name, self.t.gettext("Fill in this field."))
            return 0
        if not WHOLE_PATTERN.fullmatch(value) or not minimum <= int(value) <= (
            2**63 - 1 if maximum is None else maximum
        ):
            if maximum is None:
                message = self.t.gettext(
                    "Enter a whole number of %(min)s or more.", min=self.t.number(minimum)
                )
            else:
                message = self.t.gettext(
                    "Enter a whole number from %(min)s to %(max)s.",
                    min=self.t.number(minimum),
                    max=self.t.number(maximum),
                )
            self.error(name, message)
            return 0
        return int(value)

    def kopiyky(self, name: str, *, minimum: int = 1, maximum: int = MAX_KOPIYKY) -> int:
        """An amount in hryvnias typed as 1234, 1 234,50 or 1234.5: its value in kopiyky (an integer)."""
        value = re.sub(r"[\s\u00a0\u202f]", "", self.raw(name)).removesuffix("грн").removeprefix("UAH")
        if not value:
            self.error(name, self.t.gettext("Fill in this field."))
            return 0
        match = UAH_PATTERN.fullmatch(value)
        if match is None:
            self.error(name, self.t.gettext("Enter an amount in hryvnias, for example 1500 or 1500.50."))
            return 0
        amount = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
        if amount < minimum:
            self.error(name, self.t.gettext("At least %(min)s.", min=self.t.uah(minimum)))
        elif amount > maximum:
            self.error(name, self.t.gettext("At most %(max)s.", max=self.t.uah(maximum)))
        return amount

    def address(self, name: str, *, required: bool = True) -> str:
        """A wallet address (0x and 40 hex digits), checksummed; a mixed-case one with a wrong checksum is a
        typo and refused, never corrected."""
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, self.t.gettext("Fill in this field."))
            return ""
        try:
            return _address(value)
        except ValueError:
            self.error(
                name,
                self.t.gettext(
                    "Enter a wallet address: 0x and 40 letters a–f or digits, exactly as the wallet shows it."
                ),
            )
            return ""

    def choice(self, name: str, options: Iterable[str], *, required: bool = True) -> str:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, self.t.gettext("Choose one of the options."))
            return ""
        if value not in set(options):
            self.error(name, self.t.gettext("Choose one of the options."))
            return ""
        return value

    def ids(self, name: str) -> list[int]:
        found = []
        for value in self.data.getlist(name):
            if isinstance(value, str) and value.strip().isdigit():
                found.append(int(value.strip()))
        return sorted(set(found))

    def file(self, name: str) -> UploadFile | None:
        value = self.data.get(name)
        if isinstance(value, UploadFile) and (value.filename or value.size):
            return value
        return None

    def check(self) -> None:
        """Raise FormInvalid if any field was wrong."""
        if self.errors:
            raise FormInvalid()


# ---------------------------------------------------------------- the once-only guard


class FormOnce:
    """The one-time key of one submitted form, stored in the idempotency records table."""

    def __init__(self, page: Page, key: str, anonymous: bool = False) -> None:
        self.page = page
        self.key = key
        self.user_id = page.user.id if page.user is not None and not anonymous else None

    def earlier(self) -> dict[str, Any] | None:
        record = find_idempotency_record(self.page.session, self.user_id, self.key)
        if record is None:
            return None
        try:
            outcome: dict[str, Any] = json.loads(record.response_body)
        except ValueError:
            return {"redirect": "/"}
        return outcome

    def record(self, done: Done) -> None:
        """Store the outcome with whatever the form did, and commit both at once."""
        self.page.session.add(
            IdempotencyRecord(
                user_id=self.user_id,
                key=self.key,
                method="POST",
                path=self.page.request.url.path,
                request_hash=_WEB_FORM_HASH,
                response_status=303,
                response_body=json.dumps({"redirect": done.redirect, **done.extra}),
            )
        )
        self.page.session.commit()


OFFLINE_HEADER = "X-CTS-Offline"


def is_offline_sync(page: Page) -> bool:
    """Whether this POST is a form captured offline, now sent by the page's script (it wants JSON)."""
    return page.request.headers.get(OFFLINE_HEADER) == "1"


def offline_answer(
    page: Page, status: int, outcome: str, form: SubmittedForm | None = None, **extra: Any
) -> Response:
    """The JSON a sync gets: ``done`` (with where its result is), ``refused`` (the message and the fields'
    errors, in the page's language), or ``retry`` (nothing was done; send it again later)."""
    body: dict[str, Any] = {"outcome": outcome, **extra}
    if form is not None:
        body["message"] = form.message
        body["errors"] = dict(form.errors)
    response = JSONResponse(body, status_code=status)
    page.finish(response)
    return response


Act = Callable[[], "Done | str"]
Rerender = Callable[[int], Response]
Replay = Callable[[dict[str, Any]], Response]


def handle_form(
    page: Page,
    form: SubmittedForm,
    act: Act,
    rerender: Rerender,
    replay: Replay | None = None,
    anonymous: bool = False,
) -> Response:
    """Run a mutating form once: CSRF, the one-time key, the work, then a redirect to its result.

    ``act`` does the work (checks fields, queues the action) and returns where to go; ``rerender(status)``
    shows the form again (the form's message and errors are set before it is called). ``anonymous`` keeps
    the key among signed-out forms (sign-up), whoever is signed in when it comes back.
    """
    t = page.t
    if is_offline_sync(page):
        rerender, replay = _offline_rerender(page, form), None
    if not form.csrf_ok:
        form.message = t.error("csrf_failed")
        return rerender(400)
    if form.key is None:
        form.message = t.error("form_key_missing")
        return rerender(400)
    once = FormOnce(page, form.key, anonymous)

    def answer_earlier(outcome: dict[str, Any]) -> Response:
        if is_offline_sync(page):
            return offline_answer(
                page, 200, "done", redirect=str(outcome.get("redirect", "/")), replayed=True
            )
        if replay is not None:
            return replay(outcome)
        return page.redirect(str(outcome.get("redirect", "/")), notice="already_sent")

    earlier = once.earlier()
    if earlier is not None:
        return answer_earlier(earlier)
    try:
        outcome = act()
        done = outcome if isinstance(outcome, Done) else Done(outcome)
        once.record(done)
    except FormInvalid:
        page.session.rollback()
        form.message = t.gettext("Please check the fields marked below.")
        return rerender(422)
    except CTSError as error:
        page.session.rollback()
        earlier = once.earlier()  # a concurrent duplicate may have been answered meanwhile
        if earlier is not None:
            return answer_earlier(earlier)
        if error.status_code >= 500 and not isinstance(error, ServiceUnavailableError):
            logger.error(
                "%s on %s %s: %s", type(error).__name__, page.request.method, page.request.url.path, error
            )
            form.message = t.error("internal_error")  # the cause goes to the log, never to the page
            return rerender(500)
        form.message = t.refusal(error)
        return rerender(error.status_code)
    except (IntegrityError, SQLAlchemyError):
        page.session.rollback()
        earlier = once.earlier()
        if earlier is not None:
            return answer_earlier(earlier)
        form.message = t.error("internal_error")
        return rerender(500)
    if is_offline_sync(page):
        return offline_answer(page, 200, "done", redirect=done.redirect, replayed=False)
    response = page.redirect(done.redirect)
    if done.apply is not None:
        done.apply(response)
    return response


def _offline_rerender(page: Page, form: SubmittedForm) -> Rerender:
    """What a sync gets instead of the form shown again: a refusal it keeps, or "retry" when nothing about the
    action itself was wrong (the CSRF token of another session, the chain away, a server error)."""

    def answer(status: int) -> Response:
        # 429: a rate or gas limit, which renews; the message says when.
        retry = status >= 500 or status == 429 or not form.csrf_ok
        return offline_answer(page, status, "retry" if retry else "refused", form)

    return answer
