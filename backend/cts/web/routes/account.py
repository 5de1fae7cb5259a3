"""Pages for everyone: the home page, signing up, in and out, and the language switch.

Sign-up and sign-in use the same data access and security as the API (cts.crud, argon2, the login
throttle, the ``cts_session`` cookie), so an account made here works with the API and the other way round.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import SecretStr
from sqlalchemy import func, select

from cts.api.deps import SESSION_COOKIE, DummyPasswordCheckDep, PasswordHasherDep
from cts.core.security import verify_password
from cts.core.signin import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, sign_in
from cts.crud import create_auth_session, create_user
from cts.errors import AccountDisabledError, InvalidCredentialsError, RateLimitedError
from cts.hromadas import gas_spent_today, hromada_to_join
from cts.models import Hromada, Language, Membership, Role, User
from cts.schemas import UserRegister, normalize_email, normalize_login, normalize_phone
from cts.web.deps import (
    LANGUAGE_COOKIE,
    FormDep,
    Page,
    PageDep,
    home_of,
    is_safe_next,
    session_cookie_kwargs,
)
from cts.web.forms import Done, SubmittedForm, handle_form

# Signing in and up, signing out and the language: at "/" and, with the hromada's name on them, at
# "/h/<slug>/" (a person who signs in from a hromada's pages lands in that hromada).
router = APIRouter()
landing_router = APIRouter()
PASSWORD_MIN_LENGTH = 10


@landing_router.get("/", include_in_schema=False)
def landing(page: PageDep) -> Response:
    """The hromadas of the service, with their public figures; a person's own hromadas first. A person with
    one hromada goes straight to their page there."""
    destination = home_of(page.user)
    if destination != "/":
        return page.redirect(destination)
    hromadas = page.session.scalars(select(Hromada).order_by(Hromada.name)).all()
    mine = []
    if page.user is not None:
        mine = [(m.hromada, m.role, home_of(page.user, m.hromada)) for m in page.user.memberships]
    residents = dict(
        page.session.execute(
            select(Membership.hromada_id, func.count())
            .where(Membership.role == Role.RESIDENT)
            .group_by(Membership.hromada_id)
        ).all()
    )
    rows = [
        {
            "hromada": h,
            "residents": int(residents.get(h.id, 0)),
            "gas": gas_spent_today(page.session, h),
        }
        for h in hromadas
    ]
    return page.render("hromadas.html", {"mine": mine, "rows": rows})


# ---------------------------------------------------------------- sign in


def _signin_form(page: Page, form: Any, status: int = 200) -> Response:
    return page.render("signin.html", {"form": form}, status=status)


@router.get("/signin", include_in_schema=False)
def signin_page(page: PageDep, next: str = "") -> Response:
    if page.user is not None:
        return page.redirect(home_of(page.user, page.hromada))
    return _signin_form(page, page.blank(next=next if is_safe_next(next) else ""))


def _log_in(page: Page, user: User, response: Response) -> None:
    """Open a session; the language the person was using before signing in becomes their preference."""
    chosen = page.request.cookies.get(LANGUAGE_COOKIE)
    if chosen in (Language.UK.value, Language.EN.value) and user.preferred_language != chosen:
        user.preferred_language = Language(chosen)
    new_session = create_auth_session(page.session, user, page.settings)
    page.session.commit()
    response.set_cookie(SESSION_COOKIE, new_session.token, **session_cookie_kwargs(page.settings))
    if chosen is None:
        page.set_language_cookie(response, user.preferred_language)


@router.post("/signin", include_in_schema=False)
def signin(
    page: PageDep,
    form: FormDep,
    password_hasher: PasswordHasherDep,
    dummy_password_check: DummyPasswordCheckDep,
) -> Response:
    """Not once-only (like the API's login, every sign-in opens a session), but CSRF-checked."""
    t = page.t
    if not form.csrf_ok:
        form.message = t.error("csrf_failed")
        return _signin_form(page, form.state(), 400)
    login_text = form.text("login", max_length=320)
    password = form.password("password")
    login = ""
    if login_text:
        try:
            login = normalize_login(login_text)
        except ValueError:
            form.error(
                "login",
                form.t.gettext("Enter your phone number (for example 067 123 45 67) or your e-mail address."),
            )
    if form.errors:
        form.message = t.gettext("Please check the fields marked below.")
        return _signin_form(page, form.state(), 422)
    try:
        request = page.request
        signed_in = sign_in(
            page.session,
            page.settings,
            password_hasher,
            dummy_password_check,
            login=login,
            password=password,
            client=request.client.host if request.client else "unknown",
            device_cookie=request.cookies.get(DEVICE_COOKIE),
        )
    except (InvalidCredentialsError, AccountDisabledError, RateLimitedError) as error:
        page.session.rollback()
        form.message = t.error(error.code)
        return _signin_form(page, form.state(), error.status_code)
    next_url = form.raw("next")
    user = signed_in.user
    response = page.redirect(next_url if is_safe_next(next_url) else home_of(user, page.hromada))
    _log_in(page, user, response)
    cookie = session_cookie_kwargs(page.settings) | {"max_age": DEVICE_COOKIE_MAX_AGE}
    response.set_cookie(DEVICE_COOKIE, signed_in.device_cookie, **cookie)
    return response


# ---------------------------------------------------------------- sign up


def _signup_form(page: Page, form: Any, status: int = 200) -> Response:
    if page.hromada is not None:  # signing up from a hromada's pages: that hromada
        hromadas = [(page.hromada.slug, page.hromada.name)]
    else:
        hromadas = [(h.slug, h.name) for h in page.session.scalars(select(Hromada).order_by(Hromada.name))]
    return page.render("signup.html", {"form": form, "hromadas": hromadas}, status=status)


@router.get("/signup", include_in_schema=False)
def signup_page(page: PageDep) -> Response:
    """Sign-up, as a resident of the page's hromada, or of the hromada chosen on the form."""
    if page.user is not None:
        return page.redirect(home_of(page.user, page.hromada))
    return _signup_form(page, page.blank())


def _registration(form: SubmittedForm, lang: Language) -> UserRegister | None:
    name = form.text("display_name", max_length=100)
    phone_text = form.text("phone", required=False, max_length=40)
    email_text = form.text("email", required=False, max_length=254)
    password = form.password("password")
    phone = email = None
    if phone_text:
        try:
            phone = normalize_phone(phone_text)
        except ValueError:
            form.error(
                "phone",
                form.t.gettext(
                    "Enter a phone number, for example 067 123 45 67 (or +48 512 345 678 from abroad)."
                ),
            )
    if email_text:
        try:
            email = normalize_email(email_text)
        except ValueError:
            form.error("email", form.t.gettext("Enter an e-mail address, for example olena@example.org."))
    if not phone_text and not email_text:
        form.error("phone", form.t.gettext("Give a phone number or an e-mail address (or both)."))
    if password and len(password) < PASSWORD_MIN_LENGTH:
        form.error(
            "password",
            form.t.ngettext(
                "The password needs at least %(num)s character.",
                "The password needs at least %(num)s characters.",
                PASSWORD_MIN_LENGTH,
            ),
        )
    elif len(password) > 1024:
        form.error(
            "password", form.t.ngettext("At most %(num)s character.", "At most %(num)s characters.", 1024)
        )
    form.check()
    return UserRegister(
        phone=phone,
        email=email,
        password=SecretStr(password),
        display_name=name,
        preferred_language=lang,
    )


@router.post("/signup", include_in_schema=False)
def signup(page: PageDep, form: FormDep, password_hasher: PasswordHasherDep) -> Response:
    """Create a resident's account (and custodial wallet) and sign them in. Once-only: sending the form
    again signs in to the account the first submission made, if the password matches."""

    def act() -> Done:
        registration = _registration(form, page.lang)
        assert registration is not None
        slugs = [slug for (slug,) in page.session.execute(select(Hromada.slug))]
        chosen = form.choice("hromada", slugs, required=len(slugs) > 1) if slugs else None
        form.check()
        hromada = hromada_to_join(page.session, chosen or None)
        if hromada is None and page.hromada is not None:
            hromada = page.hromada
        user = create_user(
            page.session,
            registration,
            role=Role.RESIDENT if hromada is not None else None,
            hromada=hromada,
            password_hasher=password_hasher,
            master_key=page.settings.master_key,
        )
        new_session = create_auth_session(page.session, user, page.settings)

        def apply(response: Response) -> None:
            response.set_cookie(SESSION_COOKIE, new_session.token, **session_cookie_kwargs(page.settings))

        welcome = f"/h/{hromada.slug}/me" if hromada is not None else "/"
        return Done(welcome + "?notice=welcome", extra={"user_id": user.id}, apply=apply)

    def replay(outcome: dict[str, Any]) -> Response:
        user = page.session.get(User, int(outcome.get("user_id", 0)))
        password = form.data.get("password")
        if (
            user is not None
            and isinstance(password, str)
            and verify_password(password_hasher, user.password_hash, password)
        ):
            response = page.redirect(home_of(user, page.hromada), notice="already_sent")
            _log_in(page, user, response)
            return response
        return page.redirect(page.url("/signin"), notice="already_sent")

    return handle_form(
        page, form, act, lambda status: _signup_form(page, form.state(), status), replay, anonymous=True
    )


# ---------------------------------------------------------------- sign out and language


@router.post("/signout", include_in_schema=False)
def signout(page: PageDep, form: FormDep) -> Response:
    if not form.csrf_ok:
        return page.error_page(400, page.t.gettext("Something went wrong"), page.t.error("csrf_failed"))
    if page.auth_session is not None:
        page.auth_session.is_revoked = True
        page.session.commit()
    response = page.redirect(page.base or "/", notice="signed_out")
    # What the pages kept on this device for working offline goes too (docs/offline.md): the worker, its
    # copies of the pages, the forms waiting to be sent.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    kwargs = session_cookie_kwargs(page.settings)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=bool(kwargs["secure"])
    )
    return response


@router.post("/language", include_in_schema=False)
def switch_language(page: PageDep, form: FormDep) -> Response:
    """Remembered in a cookie, and as the signed-in user's preference (which the API and e-mails use)."""
    if not form.csrf_ok:
        return page.error_page(400, page.t.gettext("Something went wrong"), page.t.error("csrf_failed"))
    chosen = form.raw("lang")
    if chosen not in (Language.UK.value, Language.EN.value):
        return page.error_page(400, page.t.gettext("Something went wrong"), page.t.error("bad_request"))
    lang = Language(chosen)
    if page.user is not None and page.user.preferred_language != lang:
        page.user.preferred_language = lang
        page.session.commit()
    next_url = form.raw("next")
    response = page.redirect(next_url if is_safe_next(next_url) else (page.base or "/"))
    page.set_language_cookie(response, lang)  # the cookie is set only by a choice, never by default
    return response
