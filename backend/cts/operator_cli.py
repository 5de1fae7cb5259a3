"""The operator's commands of `cts`: onboard a hromada the factory deployed (with its council's first
account), list the hromadas, set a hromada's gas budget, and make a person an operator. They act on the
service's database (CTS_DATABASE_URL); the running service picks a new hromada up at its next request.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select


def _settings() -> Any:
    from cts.relayer.cli import _settings as settings

    return settings()


def _hromada_add(args: argparse.Namespace) -> int:
    from cts.chain.manifest import ManifestError, load_manifest
    from cts.core.db import build_engine, build_session_factory
    from cts.core.security import build_password_hasher
    from cts.crud import create_user, get_user_by_login
    from cts.errors import CTSError
    from cts.hromadas import add_hromada, grant_role
    from cts.models import Role
    from cts.schemas import UserRegister, normalize_login

    settings = _settings()
    try:
        manifest = load_manifest(args.manifest)
        keys = [args.key] if args.key else list(manifest.hromadas)
        if len(keys) != 1:
            print(f"cts: the manifest holds {len(keys)} hromadas; name one with --key", file=sys.stderr)
            return 2
        login = normalize_login(args.council_login)
    except (ManifestError, ValueError) as error:
        print(f"cts: {error}", file=sys.stderr)
        return 2
    with build_session_factory(build_engine(settings.database_url))() as session:
        try:
            hromada = add_hromada(session, manifest, keys[0], daily_gas_budget=args.daily_gas_budget)
            council = get_user_by_login(session, login)
            created = council is None
            if council is None:
                password = args.council_password_file.read().strip() if args.council_password_file else None
                password = password or getpass.getpass("the council's first password: ")
                contact = {"email": login} if "@" in login else {"phone": login}
                council = create_user(
                    session,
                    UserRegister.model_validate(
                        {**contact, "password": password, "display_name": args.council_name}
                    ),
                    password_hasher=build_password_hasher(settings),
                    master_key=settings.master_key,
                )
            grant_role(session, council, hromada, Role.COUNCIL)
            session.commit()
        except (CTSError, ValidationError) as error:
            print(f"cts: {error}", file=sys.stderr)
            return 2
        print(
            f"cts: {hromada.name} ({hromada.slug}) is on the service at /h/{hromada.slug}; its council "
            f"signs in as {login} ({'a new account' if created else 'an existing account'})"
        )
    return 0


def _hromada_list(args: argparse.Namespace) -> int:
    from cts.core.db import build_engine, build_session_factory
    from cts.hromadas import gas_spent_today
    from cts.models import Hromada

    settings = _settings()
    with build_session_factory(build_engine(settings.database_url))() as session:
        hromadas = session.scalars(select(Hromada).order_by(Hromada.slug)).all()
        print(f"{'key':<24} {'name':<32} {'chain':>8} {'ready':<6} {'gas today':>14} {'budget':>14}")
        for h in hromadas:
            ready = "yes" if h.is_ready else "no"
            spent = gas_spent_today(session, h)
            print(
                f"{h.slug:<24} {h.name:<32} {h.chain_id:>8} {ready:<6} {spent:>14,} {h.daily_gas_budget:>14,}"
            )
    return 0


def _hromada_budget(args: argparse.Namespace) -> int:
    from cts.core.db import build_engine, build_session_factory
    from cts.errors import CTSError
    from cts.hromadas import get_hromada

    settings = _settings()
    with build_session_factory(build_engine(settings.database_url))() as session:
        try:
            hromada = get_hromada(session, args.key)
        except CTSError as error:
            print(f"cts: {error}", file=sys.stderr)
            return 2
        hromada.daily_gas_budget = args.daily_gas_budget
        session.commit()
        print(f"cts: {hromada.slug}'s daily gas budget is {args.daily_gas_budget:,}")
    return 0


def _operator_grant(args: argparse.Namespace) -> int:
    from cts.core.db import build_engine, build_session_factory
    from cts.crud import get_user_by_login
    from cts.schemas import normalize_login

    settings = _settings()
    with build_session_factory(build_engine(settings.database_url))() as session:
        user = get_user_by_login(session, normalize_login(args.login))
        if user is None:
            print("cts: there is no account with this login", file=sys.stderr)
            return 2
        user.is_operator = not args.revoke
        session.commit()
    print(f"cts: {args.login} is {'no longer ' if args.revoke else ''}an operator of the service")
    return 0


def _positive_int(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def add_commands(commands: Any) -> None:
    hromada = commands.add_parser("hromada", help="the hromadas the service carries (an operator's work)")
    sub = hromada.add_subparsers(dest="hromada_command", required=True, metavar="COMMAND")
    add = sub.add_parser(
        "add", help="onboard a hromada the factory deployed, with its council's first account"
    )
    add.add_argument("manifest", type=Path, help="the deployment manifest (deployments/<chain id>.json)")
    add.add_argument("--key", help="the hromada's key in the manifest (needed when it holds several)")
    add.add_argument("--council-login", required=True, help="the council's phone number or e-mail address")
    add.add_argument("--council-name", default="Council", help="the council account's display name, if new")
    add.add_argument(
        "--council-password-file", type=argparse.FileType("r"), help="a new council account's password"
    )
    add.add_argument("--daily-gas-budget", type=_positive_int, help="sponsored gas per day (default 500 M)")
    add.set_defaults(handler=_hromada_add)
    sub.add_parser("list", help="the hromadas, their gas spent today and budgets").set_defaults(
        handler=_hromada_list
    )
    budget = sub.add_parser("budget", help="set a hromada's daily budget of sponsored gas")
    budget.add_argument("key")
    budget.add_argument("daily_gas_budget", type=_positive_int)
    budget.set_defaults(handler=_hromada_budget)

    operator = commands.add_parser("operator", help="the service's operators")
    operator_sub = operator.add_subparsers(dest="operator_command", required=True, metavar="COMMAND")
    grant = operator_sub.add_parser("grant", help="make an account an operator (onboarding, health)")
    grant.add_argument("login", help="the account's phone number or e-mail address")
    grant.add_argument("--revoke", action="store_true", help="take the operator role away instead")
    grant.set_defaults(handler=_operator_grant)
