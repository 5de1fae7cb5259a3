"""The relayer's errors, and how a contract's refusal becomes a clear message for a person.

Before an action is queued it is simulated (an eth_call from the person's address); if a contract would
refuse it, the custom error is mapped here to an HTTP status, a stable code (the error's name in snake
case, which the web pages translate) and an English message. Nothing is queued on an error.
"""

from __future__ import annotations

import re
from datetime import datetime

from cts.chain.errors import ContractRevert
from cts.errors import CTSError, PermissionDeniedError, RateLimitedError, ServiceUnavailableError

# The Retry-After of a 503 while the node is away: the relayer's worker finds the node back within a second
# of its return, so a client that asks again after a few seconds is not sent away for longer than it must.
CHAIN_RETRY_AFTER_SECONDS = 5


class ChainUnavailableError(ServiceUnavailableError):
    """Raised when the chain's node does not answer: nothing was queued; retry after a few seconds."""

    code = "chain_unavailable"
    detail = (
        "The blockchain cannot be reached right now, so nothing was done. "
        "Your request is safe to send again in a few seconds."
    )

    def __init__(self, detail: str | None = None, retry_after: int = CHAIN_RETRY_AFTER_SECONDS) -> None:
        super().__init__(detail, retry_after)


class NotSponsoredError(PermissionDeniedError):
    """Raised when a request targets a contract or function the relayer does not pay for (for this role)."""

    code = "not_sponsored"
    detail = "The relayer pays only for this hromada's CTS actions that your role may take."


class SignerNotLinkedError(PermissionDeniedError):
    """Raised when a self-signed request is posted by an account the signing wallet is not linked to."""

    code = "signer_not_linked"
    detail = (
        "This request was signed by a wallet that is not linked to your account. Link your own wallet "
        "first, and send only requests that you signed yourself."
    )


class BudgetExceededError(RateLimitedError):
    """Raised when an action would take a daily gas budget over its limit (cts.budgets): the person's own,
    their role's share of the hromada's, or the hromada's. Says which, what is left and when it renews."""

    code = "gas_budget_exceeded"
    detail = "You have used today's allowance of sponsored actions."

    def __init__(
        self,
        *,
        needed_gas: int,
        remaining_gas: int,
        limit_gas: int,
        renews_at: datetime | None,
        now: datetime,
    ) -> None:
        wait = int((renews_at - now).total_seconds()) if renews_at is not None else 24 * 3600
        super().__init__(retry_after_seconds=wait)
        self.params = {
            "needed_gas": needed_gas,
            "remaining_gas": remaining_gas,
            "limit_gas": limit_gas,
            "renews_at": int(renews_at.timestamp()) if renews_at is not None else None,
        }
        when = renews_at.strftime("%Y-%m-%d %H:%M UTC") if renews_at is not None else "never"
        self.detail = (
            f"{self.detail} This action needs {needed_gas:,} gas; {remaining_gas:,} of {limit_gas:,} are "
            f"left. It renews by {when}. Nothing was done."
        )


class RoleBudgetExceededError(BudgetExceededError):
    """Raised when everyone of the person's role together has used the role's share of the hromada's
    budget."""

    code = "role_gas_budget_exceeded"
    detail = "Your role has used its share of the hromada's daily budget for sponsored actions."


class HromadaGasBudgetExceededError(BudgetExceededError):
    """Raised when the hromada's sponsored gas of the last 24 hours would exceed its operator-set budget."""

    code = "hromada_gas_budget_exceeded"
    detail = (
        "Your hromada has used today's budget for sponsored actions (the council may ask the service's "
        "operator to raise it)."
    )


class RelayerNotConfiguredError(CTSError):
    """Raised when the service has no manifest or no hromada to act for (an operator's mistake)."""

    status_code = 500
    code = "relayer_not_configured"


class ContractRefusedError(CTSError):
    """Raised when a simulation shows that a contract would refuse the action; carries the reason."""

    def __init__(self, revert: ContractRevert, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code  # type: ignore[misc]
        self.code = _snake(revert.name)  # type: ignore[misc]
        self.revert = revert


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Custom error name (or its prefix) -> HTTP status and message. First match wins.
_REFUSALS: list[tuple[str, int, str]] = [
    ("ResidentRegistryNotActive", 403, "You are not registered as an active resident of this hromada."),
    ("AccessControlUnauthorizedAccount", 403, "Your account does not hold the role this action needs."),
    ("UsefulCaseNotVerifier", 403, "You are not a verifier of this programme."),
    ("UsefulCaseResidentNotActive", 409, "This case's resident is suspended; it cannot be rewarded now."),
    ("ResidentRegistrySystemContract", 422, "This address belongs to one of the hromada's contracts."),
    ("UsefulCaseSelfApproval", 403, "You cannot decide a case of your own or one you recorded."),
    ("UsefulCaseUnknownProgramme", 404, "There is no such programme."),
    ("UsefulCaseUnknownCase", 404, "There is no such case."),
    ("BalancedVoteUnknownRound", 404, "There is no such round."),
    ("BalancedVoteUnknownProject", 404, "There is no such project in this round."),
    ("CommunityFundUnknownLoan", 404, "There is no such loan."),
    ("ResidentRegistryUnknownResident", 404, "There is no such resident."),
    ("UsefulCaseUnexpectedProgrammeState", 409, "The programme is not open for this now."),
    ("BalancedVoteUnexpectedRoundState", 409, "The round is not at the stage this needs."),
    ("CommunityFundUnexpectedLoanState", 409, "The loan is not at the stage this needs."),
    ("ResidentRegistryUnexpectedStatus", 409, "The resident's status does not allow this."),
    ("ResidentRegistryNotPeerRegistry", 422, "That is not the registry of a hromada of this service."),
    ("ResidentRegistryNotReleased", 409, "The other hromada has not released this resident to this one."),
    ("ResidentRegistryAlreadyArrived", 409, "This move was already recorded here."),
    ("ResidentRegistryAlreadyReleased", 409, "This resident was already released to that hromada."),
    ("ResidentRegistryReleaseTakenUp", 409, "The other hromada has already registered this resident."),
    ("ResidentRegistryIdentityMismatch", 409, "The identity check does not match this resident's record."),
    ("UsefulCaseDuplicateEvidence", 409, "This evidence was already used for another case."),
    ("UsefulCaseAlreadyDecided", 409, "You have already decided this case."),
    ("UsefulCaseNotPending", 409, "This case is already decided."),
    ("UsefulCaseProgrammeCapExceeded", 409, "The programme has no RV left for this case."),
    ("UsefulCaseResidentCapExceeded", 409, "You have reached this programme's limit per resident."),
    ("ResidentRegistryAddressInUse", 409, "This account is already registered."),
    ("ResidentRegistryIdentityInUse", 409, "This identity check is already registered to another resident."),
    ("CommunityFundDuplicateReceipt", 409, "This receipt was already recorded."),
    ("CommunityFundInsufficientCapital", 409, "The fund does not have enough available capital for this."),
    ("BalancedVoteRoundFull", 409, "This round takes no more projects."),
    ("BalancedVoteNoBallot", 409, "You have no ballot in this round."),
    ("BalancedVoteInsufficientRV", 422, "You do not have enough RV for this ballot."),
    ("BalancedVoteProjectNotEligible", 422, "One of the projects is not eligible for voting."),
    ("BalancedVoteDuplicateProject", 422, "The same project appears twice in the ballot."),
    ("BalancedVoteProjectsNotSorted", 422, "Projects in a ballot must be listed in increasing order."),
    ("BalancedVoteBallotSize", 422, "The ballot names too few or too many projects for this round."),
    ("BalancedVoteCreditsAboveCap", 422, "Too many RV on one project for this round's rules."),
    ("BalancedVoteZeroCredits", 422, "Every project in a ballot needs at least 1 RV."),
    ("BalancedVoteAskExceedsFund", 422, "The ask is larger than the round's fund."),
    ("BalancedVoteLoanMismatch", 422, "The loan named does not match your application for this amount."),
    ("CommunityFundRepaymentTooLarge", 422, "The repayment is more than is owed."),
    ("CommunityFundInvalidSchedule", 422, "The instalment schedule is not valid."),
    ("CommunityFundProjectNotPayable", 409, "This project is not funded, or was already paid."),
    # Delivery of funded projects (ProjectDelivery, docs/delivery.md).
    ("ProjectDeliveryNotOwner", 403, "Only the resident who pitched this project may report its milestones."),
    ("ProjectDeliveryUnauthorised", 403, "Only the council may do this for a project's delivery."),
    (
        "ProjectDeliveryNotPlannable",
        409,
        "This project cannot get a delivery plan: it is not a funded grant of a finished "
        "round, or it was already paid.",
    ),
    ("ProjectDeliveryAlreadyPlanned", 409, "This project already has a delivery plan."),
    ("ProjectDeliveryNoPlan", 404, "This project has no delivery plan."),
    (
        "ProjectDeliveryInvalidPlan",
        422,
        "The delivery plan is not valid: 1 to 24 milestones, due in the future in increasing "
        "order, each with a share of the money.",
    ),
    (
        "ProjectDeliveryShareSumMismatch",
        422,
        "The milestones' shares must add up exactly to the funded amount.",
    ),
    ("ProjectDeliveryUnknownMilestone", 404, "There is no such milestone."),
    ("ProjectDeliveryUnexpectedMilestoneState", 409, "The milestone is not at the stage this needs."),
    (
        "ProjectDeliveryOutOfOrder",
        409,
        "Report the milestones in order: the previous one must be accepted first.",
    ),
    ("ProjectDeliveryTooManyReceipts", 422, "A report may list at most 64 receipts."),
    ("ProjectDeliveryUnknownReport", 404, "There is no such report."),
    (
        "ProjectDeliveryReportNotFlaggable",
        409,
        "This report can no longer be flagged: a newer report replaced it, or its tranche is paid.",
    ),
    ("ProjectDeliveryAlreadyFlagged", 409, "You have already flagged this report."),
    ("ProjectDeliveryUnknownFlag", 404, "There is no such flag."),
    ("ProjectDeliveryFlagAlreadyAnswered", 409, "This flag was already answered."),
    (
        "ProjectDeliveryUnansweredFlags",
        409,
        "Answer every resident's flag on this report before paying its tranche.",
    ),
    (
        "CommunityFundProjectHasPlan",
        409,
        "This project has a delivery plan: it is paid milestone by milestone.",
    ),
    (
        "ERC2771ForwarderInvalidSigner",
        409,
        "This signed request is not valid any more (used or wrongly signed).",
    ),
    ("ERC2771ForwarderExpiredRequest", 409, "This signed request has expired."),
    # Co-financing (CoFinancing, docs/cofinancing.md).
    ("CoFinancingUnauthorised", 403, "Only the council may do this for co-financing."),
    ("CoFinancingAlreadyPartner", 409, "This account is already a partner of the hromada."),
    ("CoFinancingUnknownPartner", 404, "There is no such partner."),
    ("CoFinancingPartnerActiveUnchanged", 409, "The partner is already in that state."),
    ("CoFinancingNotPartner", 403, "This account is not a partner of the hromada."),
    ("CoFinancingPartnerInactive", 403, "This partner may not pledge now: the council stopped them."),
    ("CoFinancingUnknownPledge", 404, "There is no such pledge."),
    ("CoFinancingNotPledger", 403, "Only the partner who made this pledge may withdraw it."),
    (
        "CoFinancingPledgeNotOpen",
        409,
        "This pledge is no longer open: it was fulfilled, withdrawn or lapsed.",
    ),
    ("CoFinancingRoundClosed", 409, "The round is over: it takes no more pledges."),
    ("CoFinancingMoneyFrozen", 409, "Money pledges are made and withdrawn only before voting opens."),
    ("CoFinancingProjectIneligible", 409, "The council screened this project out: it takes no pledges."),
    ("CoFinancingReceiptUsed", 409, "This receipt was already used for another pledge."),
    ("CoFinancingUnconditional", 409, "Only a pledge made on condition of the vote lapses."),
    ("CoFinancingRoundNotClosed", 409, "A pledge lapses only once the round is finalised or cancelled."),
    ("CoFinancingProjectChosen", 409, "The vote chose this project: its pledges stand."),
    ("CoFinancingProjectNotChosen", 409, "The escrow is paid out only once the vote has chosen the project."),
    ("CoFinancingTokenNotAccepted", 409, "The council does not accept pledges in this token."),
    ("CoFinancingTokenUnchanged", 409, "The token is already in that state."),
    (
        "CoFinancingTokenAmountMismatch",
        422,
        "This token delivers less than is sent: it cannot be used for a pledge.",
    ),
    (
        "CoFinancingWrongPledgeKind",
        409,
        "A stablecoin pledge is paid out from its escrow; other pledges are recorded fulfilled.",
    ),
    (
        "CoFinancingEscrowLocked",
        409,
        "The round is finalised: the escrow now goes to the project or back by its lapse.",
    ),
]


def refusal(revert: ContractRevert) -> ContractRefusedError:
    for prefix, status, message in _REFUSALS:
        if revert.name.startswith(prefix):
            return ContractRefusedError(revert, status, message)
    return ContractRefusedError(revert, 422, f"The contract refused this action ({revert.name}).")
