"""One router per resource; ``api_router`` gathers them under /api."""

from fastapi import APIRouter

from cts.api.routes import (
    actions,
    auth,
    budgets,
    cofinancing,
    delivery,
    hromadas,
    issues,
    journals,
    users,
    wallet,
)

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(hromadas.router)
api_router.include_router(users.hromada_router)
api_router.include_router(budgets.router)
api_router.include_router(actions.router)
api_router.include_router(actions.status_router)
api_router.include_router(delivery.router)
api_router.include_router(cofinancing.router)
api_router.include_router(wallet.router)
api_router.include_router(journals.router)
api_router.include_router(issues.router)
