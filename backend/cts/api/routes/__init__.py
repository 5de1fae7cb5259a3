"""One router per resource; ``api_router`` gathers them under /api."""

from fastapi import APIRouter

from cts.api.routes import actions, auth, users

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(actions.router)
