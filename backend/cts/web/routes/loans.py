"""A resident's interest-free loans from the community fund: the application form (what for, how much, in
how many monthly instalments) and their applications with the stage each is at. The council approves,
pays out and records repayments on its fund page."""

from __future__ import annotations

from fastapi import APIRouter, Response

from cts.api.deps import RelayerDep
from cts.web.deps import FormDep, Page, ReaderDep, ResidentPage
from cts.web.files import Document
from cts.web.forms import FormState, handle_form
from cts.web.reads import ChainReader
from cts.web.routes.common import queue, recent_actions

router = APIRouter(include_in_schema=False)

# The contract takes up to 60 instalments; a loan of more than five years is not what the fund is for.
MAX_INSTALMENTS = 60
# A limit a council can explain: the fund lends for small local work, not millions.
MAX_LOAN_KOPIYKY = 1_000_000_00
MONTH_SECONDS = 30 * 86_400


def schedule(principal_kopiyky: int, count: int) -> tuple[list[int], list[int]]:
    """`count` monthly instalments that add up to the principal (the last takes what rounding leaves),
    due 30, 60, ... days after the payout."""
    share = principal_kopiyky // count
    amounts = [share] * (count - 1) + [principal_kopiyky - share * (count - 1)]
    return amounts, [MONTH_SECONDS * (i + 1) for i in range(count)]


def _loans_page(page: Page, reader: ChainReader, form: FormState, status: int = 200) -> Response:
    assert page.user is not None
    address = page.user.wallet.address
    return page.render(
        "loans.html",
        {
            "form": form,
            "resident": reader.resident(address),
            "loans": [loan for loan in reader.loans() if loan.applicant == address],
            "sending": recent_actions(
                page.session, page.user, page.hromada_slug, limit=10, kinds=["applyForLoan"], live_only=True
            ),
            "max_instalments": MAX_INSTALMENTS,
            "max_amount": MAX_LOAN_KOPIYKY,
        },
        status=status,
    )


@router.get("/loans")
def loans_page(page: ResidentPage, reader: ReaderDep) -> Response:
    return _loans_page(page, reader, page.blank(instalments="12"))


@router.post("/loans")
def apply_for_loan(page: ResidentPage, form: FormDep, reader: ReaderDep, relayer: RelayerDep) -> Response:
    assert page.user is not None
    address = page.user.wallet.address

    def act() -> str:
        purpose = form.text("purpose", max_length=120)
        description = form.text("description", required=False, max_length=2000)
        amount = form.kopiyky("amount", minimum=100_00, maximum=MAX_LOAN_KOPIYKY)
        count = form.integer("instalments", minimum=1, maximum=MAX_INSTALMENTS)
        if not reader.resident(address).is_active:
            form.error("purpose", page.t.gettext("Only a registered resident can apply for a loan."))
        form.check()
        digest = page.documents.save(Document(purpose, description))
        amounts, offsets = schedule(amount, count)
        return queue(
            page, relayer, relayer.chain.hromada.fund.functions.applyForLoan(amounts, offsets, digest)
        )

    return handle_form(page, form, act, lambda status: _loans_page(page, reader, form.state(), status))
