"""Dependencies of the pages: the page context (who asks, in which language, the CSRF token), role checks
as dependencies, the submitted form, and the chain reader. Routes declare them as ``Annotated`` aliases."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from cts.api.deps import SESSION_COOKIE, AuthenticationDep, SessionDep
from cts.budgets import STAFF, Standing, standing, typical_gas
from cts.core.config import Settings
from cts.errors import CTSError
from cts.hromadas import HromadaDirectory
from cts.models import AuthSession, Hromada, Language, Role, User
from cts.relayer.context import ChainContext
from cts.relayer.errors import RelayerNotConfiguredError
from cts.relayer.service import RelayerService
from cts.web.files import DocumentStore, EvidenceStore
from cts.web.forms import FormState, SubmittedForm
from cts.web.i18n import Translator, get_translator
from cts.web.reads import ChainReader, build_read_context
from cts.web.render import render_template

CSRF_COOKIE = "cts_csrf"
CSRF_BYTES = 32  # an HMAC-SHA256
LANGUAGE_COOKIE = "cts_lang"
ONE_YEAR = 365 * 24 * 3600
# No request leaves for another site: scripts, styles, fonts and images are all our own.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
NOTICES = frozenset({"already_sent", "signed_out", "welcome", "language", "notifications_saved"})

# Navigation in a hromada by role: (path within the hromada, the name of its label in the "nav" family of
# cts.web.messages). The first entry is the role's home page. Every path is under /h/<slug>.
NAV: dict[Role | None, list[tuple[str, str]]] = {
    None: [("/rounds", "rounds"), ("/issues", "issues"), ("/public", "public")],
    Role.RESIDENT: [
        ("/me", "me"),
        ("/programmes", "programmes"),
        ("/cases", "cases"),
        ("/rounds", "rounds"),
        ("/issues", "issues"),
        ("/loans", "loans"),
    ],
    Role.VERIFIER: [("/verify", "verify"), ("/programmes", "programmes"), ("/rounds", "rounds")],
    Role.COORDINATOR: [
        ("/verify", "verify"),
        ("/record", "record"),
        ("/rounds", "rounds"),
        ("/issues", "issues"),
    ],
    Role.COUNCIL: [
        ("/council/residents", "council"),
        ("/rounds", "rounds"),
        ("/issues", "issues"),
        ("/public", "public"),
    ],
    Role.AUDITOR: [("/public", "public"), ("/rounds", "rounds")],
    Role.PARTNER: [
        ("/partner", "partner"),
        ("/rounds", "rounds"),
        ("/issues", "issues"),
        ("/public", "public"),
    ],
}


# The pages a role needs without a network (docs/offline.md): the service worker keeps them on the device as
# soon as the person opens any page of the hromada (its OFFLINE_PAGES pattern admits these, and a verifier's
# case pages).
OFFLINE_PAGES: dict[Role, tuple[str, ...]] = {
    Role.RESIDENT: ("/me", "/cases"),
    Role.VERIFIER: ("/verify",),
    Role.COORDINATOR: ("/record", "/verify"),
    Role.COUNCIL: ("/council/residents",),
}


def hromada_base(hromada: Hromada) -> str:
    return f"/h/{hromada.slug}"


def home_of(user: User | None, hromada: Hromada | None = None) -> str:
    """Where a person lands: their role's first page in ``hromada`` (or in their only hromada); the list of
    hromadas when they hold roles in several (or none), or when signed out."""
    if user is None:
        return hromada_base(hromada) if hromada is not None else "/"
    if hromada is not None:
        role = user.role_in(hromada.id)
        if role is not None:
            return hromada_base(hromada) + NAV[role][0][0]
        return hromada_base(hromada)
    if len(user.memberships) == 1:
        membership = user.memberships[0]
        return hromada_base(membership.hromada) + NAV[membership.role][0][0]
    return "/"


def _csrf_key(settings: Settings) -> bytes:
    return hmac.new(
        settings.master_key.get_secret_value().encode(), b"cts/web/csrf/v1", hashlib.sha256
    ).digest()


def is_safe_next(url: str) -> bool:
    """A local path to go back to after signing in (never another site)."""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url and "\n" not in url


@dataclass(frozen=True)
class BudgetView:
    """What a staff page says of the person's budget: the gas left today (the tightest of their three
    limits, and which one), and about how many more actions like their recent ones it allows."""

    standing: Standing
    typical_gas: int | None

    @property
    def tightest(self) -> str:
        current = self.standing
        return min(
            (current.person, current.role_total, current.hromada), key=lambda allowance: allowance.remaining
        ).scope

    @property
    def actions_left(self) -> int | None:
        return None if not self.typical_gas else self.standing.remaining // self.typical_gas

    @property
    def low(self) -> bool:
        """Less than a tenth of the tightest limit left: the page says so more loudly."""
        current = self.standing
        allowance = {"person": current.person, "role": current.role_total, "hromada": current.hromada}[
            self.tightest
        ]
        return allowance.remaining * 10 < allowance.limit


@dataclass
class Page:
    """One request to a page: who asks, in which language, and how to answer with a template."""

    request: Request
    session: Session
    settings: Settings
    user: User | None
    auth_session: AuthSession | None
    lang: Language
    hromada: Hromada | None
    csrf_cookie: str
    new_csrf_cookie: bool = False
    notices: list[str] = field(default_factory=list)

    @property
    def t(self) -> Translator:
        return get_translator(self.lang)

    def _csrf_for(self, message: bytes) -> bytes:
        return hmac.new(_csrf_key(self.settings), message, hashlib.sha256).digest()

    @property
    def _csrf_secret(self) -> bytes:
        """What the page's forms prove: bound to the login session, or (signed out) to the random
        ``cts_csrf`` cookie. Another site can neither read it nor make it."""
        if self.auth_session is not None:
            return self._csrf_for(b"session:" + self.auth_session.token_hash.encode())
        return self._csrf_for(b"anonymous:" + self.csrf_cookie.encode())

    @property
    def csrf_token(self) -> str:
        """The token a form carries: the secret under a fresh random mask each time it is written. The pages
        are compressed (gzip), and a secret written the same way on every page beside text an attacker
        chooses could be guessed from the compressed sizes (BREACH); masked, it never repeats."""
        mask = secrets.token_bytes(CSRF_BYTES)
        return (mask + bytes(a ^ b for a, b in zip(mask, self._csrf_secret, strict=True))).hex()

    def csrf_matches(self, token: str) -> bool:
        """A form made for this session, or made while signed out in this browser (so that a sign-up sent
        again after it signed the person in still finds its earlier result)."""
        try:
            raw = bytes.fromhex(token)
        except ValueError:
            return False
        if len(raw) != 2 * CSRF_BYTES:
            return False
        secret = bytes(a ^ b for a, b in zip(raw[:CSRF_BYTES], raw[CSRF_BYTES:], strict=True))
        expected = [self._csrf_secret]
        if self.auth_session is not None and not self.new_csrf_cookie:
            expected.append(self._csrf_for(b"anonymous:" + self.csrf_cookie.encode()))
        return any(hmac.compare_digest(secret, candidate) for candidate in expected)

    @property
    def here(self) -> str:
        """This page's address, to come back to (after switching language, or to try again). A form shown
        again after a POST comes back to the page the form was on, never to the POST's own address."""
        url = self.request.url
        if self.request.method in ("GET", "HEAD"):
            return url.path + (f"?{url.query}" if url.query else "")
        referer = urlsplit(self.request.headers.get("referer", ""))
        if referer.netloc == url.netloc and is_safe_next(referer.path):
            return referer.path + (f"?{referer.query}" if referer.query else "")
        return home_of(self.user, self.hromada)

    @property
    def base(self) -> str:
        """The address of the page's hromada ("/h/<slug>"), which its links start with; "" outside one."""
        return hromada_base(self.hromada) if self.hromada is not None else ""

    def url(self, path: str) -> str:
        """A path within the page's hromada ("/cases" -> "/h/<slug>/cases")."""
        return self.base + path

    @property
    def nav(self) -> list[tuple[str, str]]:
        account = (
            [(self.url("/signin"), "signin"), (self.url("/signup"), "signup")] if self.user is None else []
        )
        if self.hromada is None:
            return account if self.user is None else [("/", "hromadas")]
        return account + [(self.base + href, label) for href, label in NAV[self.role]]

    @property
    def offline_pages(self) -> list[str]:
        """The addresses of the pages the signed-in person should have on the device (none signed out)."""
        role = self.role
        if self.user is None or role is None:
            return []
        return [self.url(path) for path in OFFLINE_PAGES.get(role, ())]

    @property
    def offline_scope(self) -> str:
        """Whose forms saved on the device this page shows and sends: the person, in this hromada."""
        if self.user is None or self.hromada is None:
            return ""
        return f"{self.user.id}@{self.hromada.slug}"

    @property
    def read_at(self) -> int:
        """When the page was made: what it says it was read at when shown later from the device."""
        return int(time.time())

    @property
    def section(self) -> str:
        path = self.request.url.path
        matches = [href for href, _ in self.nav if path == href or path.startswith(href.rstrip("/") + "/")]
        return max(matches, key=len, default="")

    @cached_property
    def relayer(self) -> RelayerService | None:
        """The relayer acting for the page's hromada (None outside one, or while it has no contracts)."""
        if self.hromada is None:
            return None
        try:
            directory: HromadaDirectory = self.request.app.state.directory
            return RelayerService(self.settings, directory.context(self.hromada), self.hromada)
        except CTSError:
            return None

    @property
    def hromada_id(self) -> int:
        """The page's hromada's id (the role dependencies guarantee a hromada on the pages that use it)."""
        if self.hromada is None:
            raise RuntimeError("this page belongs to no hromada")
        return self.hromada.id

    @property
    def hromada_slug(self) -> str:
        """The page's hromada's key (on the pages of a hromada)."""
        if self.hromada is None:
            raise RuntimeError("this page belongs to no hromada")
        return self.hromada.slug

    @property
    def hromada_name(self) -> str:
        return self.hromada.name if self.hromada is not None else ""

    @cached_property
    def budget(self) -> BudgetView | None:
        """The signed-in staff member's sponsored-gas budget today (None for residents, auditors, or
        outside a hromada): the staff pages show it so that a limit is seen before it refuses."""
        role = self.role
        if self.user is None or self.hromada is None or role not in STAFF:
            return None
        current = standing(self.session, self.settings, self.hromada, self.user.id, role)
        return BudgetView(current, typical_gas(self.session, self.hromada, self.user.id))

    @property
    def role(self) -> Role | None:
        """The signed-in person's role in the page's hromada."""
        if self.user is None or self.hromada is None:
            return None
        return self.user.role_in(self.hromada.id)

    # ------------------------------------------------------------ answers

    def finish(self, response: Response) -> Response:
        """Cookies and security headers every page answer carries."""
        secure = not self.settings.is_development
        if self.new_csrf_cookie:
            response.set_cookie(
                CSRF_COOKIE, self.csrf_cookie, max_age=ONE_YEAR, httponly=True, samesite="lax", secure=secure
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def set_language_cookie(self, response: Response, lang: Language) -> None:
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang.value,
            max_age=ONE_YEAR,
            httponly=True,
            samesite="lax",
            secure=not self.settings.is_development,
        )

    def render(
        self, template: str, context: Mapping[str, Any] | None = None, status: int = 200
    ) -> HTMLResponse:
        html = render_template(template, page=self, **(context or {}))
        response = HTMLResponse(html, status_code=status)
        self.finish(response)
        return response

    def redirect(self, url: str, notice: str | None = None) -> RedirectResponse:
        if notice is not None:
            url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
        response = RedirectResponse(url, status_code=303)
        self.finish(response)
        return response

    def error_page(self, status: int, heading: str, message: str, retry: bool = False) -> HTMLResponse:
        return self.render(
            "error.html", {"heading": heading, "message": message, "retry": retry}, status=status
        )

    # ------------------------------------------------------------ helpers

    def blank(self, name: str = "f", **values: Any) -> FormState:
        return FormState.blank(name, **values)

    @property
    def evidence(self) -> EvidenceStore:
        return EvidenceStore(self.settings)

    @property
    def documents(self) -> DocumentStore:
        return DocumentStore(self.settings)


def build_page(request: Request, session: Session, auth_session: AuthSession | None) -> Page:
    """The page context of a request; used by the dependency and by the error handlers (so it never raises
    for an unknown hromada: ``get_page`` does)."""
    settings: Settings = request.app.state.settings
    slug = request.path_params.get("slug")
    hromada = session.scalar(select(Hromada).where(Hromada.slug == slug)) if isinstance(slug, str) else None
    user = auth_session.user if auth_session is not None else None
    if user is not None and user.is_disabled:
        user, auth_session = None, None
    cookie_lang = request.cookies.get(LANGUAGE_COOKIE)
    if user is not None:
        lang = user.preferred_language
    elif cookie_lang in (Language.UK.value, Language.EN.value):
        lang = Language(cookie_lang)
    else:
        lang = Language.UK
    csrf_cookie = request.cookies.get(CSRF_COOKIE, "")
    new_cookie = len(csrf_cookie) < 32
    if new_cookie:
        csrf_cookie = secrets.token_urlsafe(32)
    page = Page(
        request=request,
        session=session,
        settings=settings,
        user=user,
        auth_session=auth_session,
        lang=lang,
        hromada=hromada,
        csrf_cookie=csrf_cookie,
        new_csrf_cookie=new_cookie,
    )
    notice = request.query_params.get("notice")
    if notice in NOTICES:
        page.notices.append(page.t.label("notice", notice))
    return page


def get_page(request: Request, session: SessionDep, authentication: AuthenticationDep) -> Page:
    page = build_page(request, session, authentication.auth_session)
    if "slug" in request.path_params and page.hromada is None:
        raise StarletteHTTPException(404)
    return page


PageDep = Annotated[Page, Depends(get_page)]


class SignInRequired(Exception):
    """Raised when a page needs a signed-in user: the handler sends the person to the sign-in page."""

    def __init__(self, page: Page) -> None:
        super().__init__("sign in required")
        self.page = page


class PageForbidden(Exception):
    """Raised when the signed-in user's role may not see a page: the handler answers 403 with a page."""

    def __init__(self, page: Page) -> None:
        super().__init__("forbidden")
        self.page = page


def get_signed_in_page(page: PageDep) -> Page:
    if page.user is None:
        raise SignInRequired(page)
    return page


SignedInPage = Annotated[Page, Depends(get_signed_in_page)]


def require_page_roles(*roles: Role) -> Callable[[Page], Page]:
    allowed = frozenset(roles)

    def check_role(page: SignedInPage) -> Page:
        if page.role not in allowed:
            raise PageForbidden(page)
        return page

    check_role.__name__ = "page_for_" + "_or_".join(role.value for role in roles)
    return check_role


ResidentPage = Annotated[Page, Depends(require_page_roles(Role.RESIDENT))]
VerifierPage = Annotated[Page, Depends(require_page_roles(Role.VERIFIER, Role.COORDINATOR))]
CoordinatorPage = Annotated[Page, Depends(require_page_roles(Role.COORDINATOR))]
CouncilPage = Annotated[Page, Depends(require_page_roles(Role.COUNCIL))]
PartnerPage = Annotated[Page, Depends(require_page_roles(Role.PARTNER))]


class PayloadTooLarge(Exception):
    """Raised when a form's body is far beyond any upload we accept: nothing of it is read."""

    def __init__(self, page: Page) -> None:
        super().__init__("payload too large")
        self.page = page


async def read_form(request: Request, page: PageDep) -> SubmittedForm:
    """The submitted form, with its CSRF token checked (the verdict is handled by `handle_form`)."""
    hard_limit = 2 * page.settings.evidence_max_bytes + 1024 * 1024
    try:
        length = int(request.headers.get("content-length", "0"))
    except ValueError:
        length = 0
    if length > hard_limit:
        raise PayloadTooLarge(page)
    # More files than any form takes (4 photos), so that a form says "at most 4 photos" itself; the body's
    # size is bounded above whatever their number.
    data = await request.form(max_files=16, max_fields=500)
    token = data.get("csrf_token")
    csrf_ok = isinstance(token, str) and bool(token) and page.csrf_matches(token)
    return SubmittedForm(data, csrf_ok, page.t)


FormDep = Annotated[SubmittedForm, Depends(read_form)]


def get_reader(page: PageDep) -> ChainReader:
    """The chain reader of the page's hromada (the relayer's configuration error if it has no contracts)."""
    if page.hromada is None:
        raise RelayerNotConfiguredError("this page belongs to no hromada")
    state = page.request.app.state
    chains: dict[str, ChainContext] = state.__dict__.setdefault("web_read_chains", {})
    key = f"{page.hromada.slug}:{page.hromada.contracts}"
    chain = chains.get(key)
    if chain is None:
        chain = build_read_context(page.settings, page.hromada)
        chains[key] = chain
    return ChainReader(chain, page.documents)


ReaderDep = Annotated[ChainReader, Depends(get_reader)]


def session_cookie_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "max_age": settings.session_ttl_seconds,
        "httponly": True,
        "samesite": "lax",
        "secure": not settings.is_development,
        "path": "/",
    }


__all__ = [
    "SESSION_COOKIE",
    "CoordinatorPage",
    "CouncilPage",
    "FormDep",
    "Page",
    "PageDep",
    "PartnerPage",
    "ReaderDep",
    "ResidentPage",
    "SignedInPage",
    "VerifierPage",
]
