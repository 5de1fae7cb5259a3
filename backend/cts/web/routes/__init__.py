"""The page routers, by audience; ``pages_router`` gathers them at "/"."""

from fastapi import APIRouter

from cts.web.routes import account, council, public, resident, rounds, verifier

pages_router = APIRouter(include_in_schema=False)
pages_router.include_router(account.router)
pages_router.include_router(resident.router)
pages_router.include_router(rounds.router)
pages_router.include_router(verifier.router)
pages_router.include_router(council.router)
pages_router.include_router(public.router)
