"""The page routers, by audience; ``pages_router`` gathers them at "/" and "/h/<slug>"."""

from fastapi import APIRouter
from fastapi.routing import APIRoute

from cts.web.routes import (
    account,
    council,
    delivery,
    delivery_report,
    issues,
    journals,
    loans,
    notifications,
    offline,
    partners,
    pitch,
    public,
    resident,
    rounds,
    verifier,
    verify,
)

pages_router = APIRouter(include_in_schema=False)
# The list of hromadas, and signing in and up and the language, at the root: they belong to no hromada.
pages_router.include_router(account.landing_router)
pages_router.include_router(account.router)
pages_router.include_router(offline.root_router)  # /sw.js: its scope is the whole site

# The account pages again under each hromada, with its name on them (a person who signs in there lands
# there): a router of their own, since FastAPI includes a router object once.
hromada_account_router = APIRouter()
for route in account.router.routes:
    assert isinstance(route, APIRoute)
    hromada_account_router.add_api_route(
        route.path, route.endpoint, methods=sorted(route.methods or ()), include_in_schema=False
    )

# Everything else is a hromada's page, at /h/<slug>/...: the page context resolves the hromada from the
# path, and the role checks are the person's role in that hromada.
HROMADA_ROUTERS = (
    hromada_account_router,
    public.home_router,
    resident.router,
    notifications.router,
    loans.router,
    rounds.router,
    pitch.router,
    verifier.router,
    council.router,
    partners.council_router,
    partners.router,
    journals.router,
    issues.router,
    delivery.router,
    delivery_report.router,
    public.router,
    verify.router,
    offline.router,
)
for router in HROMADA_ROUTERS:
    pages_router.include_router(router, prefix="/h/{slug}")
