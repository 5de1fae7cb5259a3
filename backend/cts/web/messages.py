"""The texts the pages look up by a value at run time: error messages by code, what each action is called,
and the names of roles, states, rules, reasons and ledger buckets.

They are written in English, the catalogs' msgids; each table is built by a function of a Translator, so
that every text is a plain gettext call that ``pybabel extract`` finds, and the Translator builds each table
once per language. Words that mean different things in different places carry a context (``pgettext``):
a round's "scheduled" and a programme's "scheduled" may take different Ukrainian forms.

A test (tests/backend/web/test_i18n.py) checks that every value the chain, the database or the code can
give has an entry here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cts.web.i18n import Translator


def error_messages(t: Translator) -> dict[str, str]:
    """What a person reads for each error code (of CTSError, the relayer, its worker, the pages, the
    evidence store, and the contracts' refusals as cts.relayer.errors names them)."""
    _ = t.gettext
    from cts.web.issue_texts import issue_error_messages  # community issues (issue 18)

    return {
        # cts.errors
        "internal_error": _("Something went wrong on our side. Please try again later."),
        "bad_request": _("The request could not be processed."),
        "not_authenticated": _("Please sign in."),
        "session_expired": _("Your session has ended. Please sign in again."),
        "invalid_credentials": _("The phone number or e-mail and the password do not match."),
        "permission_denied": _("You are not allowed to do this."),
        "role_required": _("This page or action is not for your role."),
        "account_disabled": _("This account is disabled. Please contact your hromada's coordinator."),
        "not_found": _("Not found."),
        "conflict": _("This conflicts with the current state."),
        "account_exists": _("An account with this phone number or e-mail already exists. Try signing in."),
        "invalid_input": _("Some values are not acceptable."),
        "validation_error": _("Some fields are missing or wrong."),
        "rate_limited": _("Too many attempts in a row. Please wait a few minutes and try again."),
        "service_unavailable": _("The service is temporarily unavailable. Please try again in a minute."),
        "keystore_error": _("Something went wrong on our side. Please try again later."),
        "idempotency_key_reused": _(
            "This form was already used for another action. Please open the form again."
        ),
        # the relayer
        "chain_unavailable": _(
            "The blockchain cannot be reached right now (perhaps a power cut), so nothing was done. Send the "
            "form again in a few seconds — what you typed is kept."
        ),
        "not_sponsored": _("This action is not available to your role."),
        # a daily budget refused the action (cts.budgets); the figures are gas, the time Kyiv time
        "gas_budget_exceeded": _(
            "Nothing was done: your own daily allowance of sponsored actions is used up. %(remaining_gas)s "
            "of your %(limit_gas)s gas are left and this action needs %(needed_gas)s. Enough comes back by "
            "%(renews_at)s (Kyiv time)."
        ),
        "role_gas_budget_exceeded": _(
            "Nothing was done: everyone in your role together has used the role's share of the hromada's "
            "daily budget. %(remaining_gas)s of %(limit_gas)s gas are left and this action needs "
            "%(needed_gas)s. Enough comes back by %(renews_at)s (Kyiv time); the council can change the "
            "shares."
        ),
        "hromada_gas_budget_exceeded": _(
            "Nothing was done: your hromada has used today's budget for sponsored actions. %(remaining_gas)s "
            "of %(limit_gas)s gas are left and this action needs %(needed_gas)s. Enough comes back by "
            "%(renews_at)s (Kyiv time); the council can ask the service's operator to raise the budget."
        ),
        "already_queued": _(
            "The same action is already waiting to be sent to the blockchain. It will be done once: there is "
            "no need to send it again."
        ),
        "signer_not_linked": _("This request was signed by a wallet that is not linked to your account."),
        "relayer_not_configured": _(
            "The service is not set up for any hromada yet. Please tell the administrator."
        ),
        # the relayer's worker
        "refused_on_chain": _(
            "The blockchain refused the action when it ran (things may have changed meanwhile). Check and "
            "try again."
        ),
        "batch_reverted": _("The transaction failed; it will be sent again."),
        "batch_lost": _("The transaction was lost; it will be sent again."),
        "request_skipped": _("The request expired on the way; it will be sent again."),
        "request_expired": _("The signed request expired."),
        "outcome_unknown": _(
            "The action ran in a transaction the service could not find, so it was not sent a second time. "
            "Check the result or ask the administrator."
        ),
        # why a request failed when it ran (cts.relayer.outcomes); never said of a contract's refusal
        "out_of_gas": _(
            "It ran out of gas: the blockchain changed after the action was prepared, and it needed more "
            "than it was given."
        ),
        "failed_unexplained": _(
            "It failed when it ran, and the service could not find out why; nothing was changed."
        ),
        "signer_unavailable": _("The account that asked no longer exists."),
        "nonce_used": _("This signed request was already used."),
        # the pages
        "csrf_failed": _("The form has expired or was opened in another window. Check it and send it again."),
        "form_key_missing": _("The form arrived incomplete. Check it and send it again."),
        # the contracts' refusals (cts.relayer.errors names them after the custom errors)
        "resident_registry_not_active": _(
            "The council has not confirmed you as a resident yet (or your participation is suspended)."
        ),
        "access_control_unauthorized_account": _(
            "Your account does not hold the role this action needs on the blockchain."
        ),
        "useful_case_not_verifier": _("You are not a verifier of this programme."),
        "useful_case_self_approval": _("You cannot decide your own case or one you recorded."),
        "useful_case_unknown_programme": _("There is no such programme."),
        "useful_case_unknown_case": _("There is no such case."),
        "balanced_vote_unknown_round": _("There is no such round."),
        "balanced_vote_unknown_project": _("There is no such project in this round."),
        "community_fund_unknown_loan": _("There is no such loan."),
        "resident_registry_unknown_resident": _("There is no such resident."),
        "useful_case_unexpected_programme_state": _(
            "The programme does not take this now (not started, ended, paused or closed)."
        ),
        "balanced_vote_unexpected_round_state": _("The round is at another stage now — refresh the page."),
        "community_fund_unexpected_loan_state": _("The loan is at another stage now."),
        "resident_registry_unexpected_status": _("The resident's status does not allow this."),
        "useful_case_duplicate_evidence": _(
            "This evidence was already used for another case. Add a new photo or document."
        ),
        "useful_case_already_decided": _("You have already decided this case."),
        "useful_case_not_pending": _("This case is already decided."),
        "useful_case_programme_cap_exceeded": _("The programme has no RV left for this case."),
        "resident_registry_not_peer_registry": _("That is not the registry of a hromada of this service."),
        "resident_registry_not_released": _(
            "The other hromada has not released this resident to this one yet."
        ),
        "resident_registry_already_arrived": _("This move was already recorded here."),
        "resident_registry_already_released": _("This resident was already released to that hromada."),
        "resident_registry_release_taken_up": _("The other hromada has already registered this resident."),
        "resident_registry_identity_mismatch": _("The identity check does not match this resident's record."),
        "useful_case_resident_cap_exceeded": _("The programme's limit per person has been reached."),
        "useful_case_invalid_caps": _(
            "The RV caps do not fit: the programme's cap must hold a reward, and the per-person cap must not "
            "exceed it."
        ),
        "useful_case_invalid_window": _("The programme's window is not valid."),
        "useful_case_invalid_quorum": _("Approvals needed must be between 1 and the number of verifiers."),
        "useful_case_title_too_long": _(
            "The title is too long: at most 200 bytes (about 100 Cyrillic letters)."
        ),
        "useful_case_empty_title": _("Give the programme a title."),
        "useful_case_duplicate_verifier": _("A verifier is named twice."),
        "useful_case_too_many_verifiers": _("The programme has too many verifiers."),
        "useful_case_not_settleable": _("The case has not yet met the approvals or rejections it needs."),
        "useful_case_batch_too_large": _("Too many cases at once."),
        "useful_case_empty_batch": _("Tick at least one case."),
        "useful_case_resident_not_active": _(
            "The resident of this case is suspended; it cannot be rewarded now."
        ),
        "resident_registry_system_contract": _("This address belongs to one of the hromada's contracts."),
        "resident_registry_address_in_use": _("This account is already registered."),
        "resident_registry_identity_in_use": _(
            "This identity check is already registered to another resident."
        ),
        "community_fund_duplicate_receipt": _("This receipt was already recorded."),
        "community_fund_insufficient_capital": _("The fund does not have enough available capital for this."),
        "balanced_vote_round_full": _("This round takes no more projects."),
        "balanced_vote_no_ballot": _("You have no ballot in this round."),
        "balanced_vote_insufficient_rv": _("You do not have enough RV for this ballot. Give fewer RV."),
        "balanced_vote_project_not_eligible": _("One of the projects is not eligible."),
        "balanced_vote_duplicate_project": _("A project appears twice."),
        "balanced_vote_projects_not_sorted": _("Projects must be in order."),
        "balanced_vote_ballot_size": _("Too few or too many projects in the ballot for this round's rules."),
        "balanced_vote_credits_above_cap": _("Too many RV on one project for this round's rules."),
        "balanced_vote_zero_credits": _("Every project in a ballot needs at least 1 RV."),
        "balanced_vote_empty_ballot": _("Give at least 1 RV to one of the projects."),
        "balanced_vote_ask_exceeds_fund": _("The ask is larger than the round's fund."),
        "balanced_vote_loan_mismatch": _("The loan does not match your application for this amount."),
        "balanced_vote_invalid_windows": _("The round's windows are not valid."),
        "balanced_vote_invalid_rules": _("The ballot rules do not fit the number of projects."),
        "balanced_vote_invalid_max_projects": _("The most projects allowed is not valid."),
        "community_fund_repayment_too_large": _("The repayment is more than is owed."),
        "community_fund_invalid_schedule": _("The instalment schedule is not valid."),
        "community_fund_project_not_payable": _("This project is not funded, or was already paid."),
        "delivery_comment_daily_limit": _(
            "You have written %(limit)s comments today, as many as a day allows: write again tomorrow."
        ),
        "project_delivery_not_owner": _(
            "Only the resident who pitched this project may report its milestones."
        ),
        "project_delivery_unauthorised": _("Only the council may do this for a project's delivery."),
        "project_delivery_not_plannable": _(
            "This project cannot get a delivery plan: it is not a funded grant of a finished "
            "round, or it was already paid."
        ),
        "project_delivery_already_planned": _("This project already has a delivery plan."),
        "project_delivery_no_plan": _("This project has no delivery plan."),
        "project_delivery_invalid_plan": _(
            "The delivery plan is not valid: 1 to 24 milestones, due in the future in increasing "
            "order, each with a share of the money."
        ),
        "project_delivery_share_sum_mismatch": _(
            "The milestones' shares must add up exactly to the funded amount."
        ),
        "project_delivery_unknown_milestone": _("There is no such milestone."),
        "project_delivery_unexpected_milestone_state": _("The milestone is not at the stage this needs."),
        "project_delivery_out_of_order": _(
            "Report the milestones in order: the previous one must be accepted first."
        ),
        "project_delivery_too_many_receipts": _("A report may list at most 64 receipts."),
        "project_delivery_unknown_report": _("There is no such report."),
        "project_delivery_report_not_flaggable": _(
            "This report can no longer be flagged: a newer report replaced it, or its tranche is paid."
        ),
        "project_delivery_already_flagged": _("You have already flagged this report."),
        "project_delivery_unknown_flag": _("There is no such flag."),
        "project_delivery_flag_already_answered": _("This flag was already answered."),
        "project_delivery_unanswered_flags": _(
            "Answer every resident's flag on this report before paying its tranche."
        ),
        "community_fund_project_has_plan": _(
            "This project has a delivery plan: it is paid milestone by milestone."
        ),
        "co_financing_unauthorised": _("Only the council may do this for co-financing."),
        "co_financing_already_partner": _("This account is already a partner of the hromada."),
        "co_financing_unknown_partner": _("There is no such partner."),
        "co_financing_partner_active_unchanged": _("The partner is already in that state."),
        "co_financing_not_partner": _("This account is not a partner of the hromada."),
        "co_financing_partner_inactive": _("This partner may not pledge now: the council stopped them."),
        "co_financing_unknown_pledge": _("There is no such pledge."),
        "co_financing_not_pledger": _("Only the partner who made this pledge may withdraw it."),
        "co_financing_pledge_not_open": _(
            "This pledge is no longer open: it was fulfilled, withdrawn or lapsed."
        ),
        "co_financing_round_closed": _("The round is over: it takes no more pledges."),
        "co_financing_money_frozen": _("Money pledges are made and withdrawn only before voting opens."),
        "co_financing_project_ineligible": _("The council screened this project out: it takes no pledges."),
        "co_financing_receipt_used": _("This receipt was already used for another pledge."),
        "co_financing_unconditional": _("Only a pledge made on condition of the vote lapses."),
        "co_financing_round_not_closed": _("A pledge lapses only once the round is finalised or cancelled."),
        "co_financing_project_chosen": _("The vote chose this project: its pledges stand."),
        "co_financing_project_not_chosen": _(
            "The escrow is paid out only once the vote has chosen the project."
        ),
        "co_financing_token_not_accepted": _("The council does not accept pledges in this token."),
        "co_financing_token_unchanged": _("The token is already in that state."),
        "co_financing_token_amount_mismatch": _(
            "This token delivers less than is sent: it cannot be used for a pledge."
        ),
        "co_financing_wrong_pledge_kind": _(
            "A stablecoin pledge is paid out from its escrow; other pledges are recorded fulfilled."
        ),
        "co_financing_escrow_locked": _(
            "The round is finalised: the escrow now goes to the project or back by its lapse."
        ),
        "rv_token_recipient_not_resident": _("The recipient is not an active resident."),
        "erc2771_forwarder_invalid_signer": _("This signed request is not valid any more."),
        "erc2771_forwarder_expired_request": _("This signed request has expired."),
        # the evidence store (cts.web.files.EvidenceError)
        "evidence_missing": _("Add a photo or document."),
        "evidence_too_large": _(
            "The file is too large: at most %(limit)s. Make the photo smaller or send another file."
        ),
        "evidence_type": _(
            "This kind of file is not accepted: send a photo (JPEG, PNG, WebP, HEIC) or a PDF document."
        ),
        **issue_error_messages(t),
    }


def action_kinds(t: Translator) -> dict[str, str]:
    """What an action is called, by the contract function it calls."""
    _ = t.gettext
    return {
        "submitCase": _("Submitting a useful case"),
        "recordCase": _("Recording a case for a resident"),
        "approveCase": _("Approving a case"),
        "approveCases": _("Approving several cases"),
        "rejectCase": _("Rejecting a case"),
        "castBallot": _("Casting a ballot"),
        "withdrawBallot": _("Withdrawing a ballot"),
        "pitchProject": _("Pitching a project"),
        "finalise": _("Finalising a round"),
        "addResident": _("Registering a resident"),
        "grantRole": _("Appointing a coordinator"),
        "createProgramme": _("Creating a programme"),
        "pauseProgramme": _("Pausing a programme"),
        "resumeProgramme": _("Resuming a programme"),
        "closeProgramme": _("Closing a programme"),
        "createRound": _("Opening a round"),
        "screenProject": _("Screening a project"),
        "deposit": _("Recording a deposit"),
        "approveLoan": _("Approving a loan"),
        "disburseLoan": _("Paying out a loan"),
        "recordRepayment": _("Recording a repayment"),
        "applyForLoan": _("Applying for a loan"),
        "suspendResident": _("Suspending a resident"),
        "addResidents": _("Registering residents"),
        "reinstateResident": _("Reinstating a resident"),
        "migrateResident": _("Moving a resident to a new wallet"),
        "addVerifier": _("Adding a verifier"),
        "removeVerifier": _("Removing a verifier"),
        "setQuorum": _("Changing the approvals needed"),
        "setRules": _("Changing a round's rules"),
        "cancelRound": _("Cancelling a round"),
        "refund": _("Refunding RV"),
        "approveLoanByRound": _("Approving a loan by a round's result"),
        "openCycle": _("Opening a reporting cycle"),
        "payGrant": _("Paying a grant"),
        "setPlan": _("Setting a project's delivery plan"),
        "reportMilestone": _("Reporting a milestone"),
        "acceptReport": _("Accepting a milestone's report"),
        "rejectReport": _("Rejecting a milestone's report"),
        "flagReport": _("Flagging a report"),
        "answerFlag": _("Answering a flag"),
        "payTranche": _("Paying a milestone's tranche"),
        "releaseProjectFunds": _("Releasing a project's funds"),
        "rejectLoan": _("Rejecting a loan"),
        "cancelLoan": _("Cancelling a loan"),
        "markDefaulted": _("Writing off a loan"),
        "settleCase": _("Settling a case"),
        "registerPartner": _("Registering a partner"),
        "setPartnerActive": _("Changing whether a partner may pledge"),
        "pledge": _("Pledging to a project"),
        "cancelPledge": _("Withdrawing a pledge"),
        "fulfilPledge": _("Recording a pledge fulfilled"),
        "lapsePledge": _("Recording a pledge lapsed"),
        "acceptToken": _("Accepting a stablecoin"),
        "releaseToken": _("Paying out a stablecoin escrow"),
    }


def labels(t: Translator) -> dict[str, dict[str, str]]:
    """The names of values the pages show, by family: roles, states, rules, reasons, ledger buckets..."""
    _ = t.gettext
    pgettext = t.pgettext
    return {
        "nav": {
            "label": pgettext("navigation", "Main menu"),
            "skip": pgettext("navigation", "Skip to content"),
            "home": pgettext("navigation", "Home"),
            "me": pgettext("navigation", "My account"),
            "programmes": pgettext("navigation", "Programmes"),
            "cases": pgettext("navigation", "My cases"),
            "rounds": pgettext("navigation", "Votes"),
            "loans": pgettext("navigation", "Loans"),
            "verify": pgettext("navigation", "Cases to check"),
            "record": pgettext("navigation", "Record a case"),
            "council": pgettext("navigation", "Council"),
            "public": pgettext("navigation", "Public figures"),
            "signin": pgettext("navigation", "Sign in"),
            "signup": pgettext("navigation", "Sign up"),
            "signout": pgettext("navigation", "Sign out"),
            "hromadas": pgettext("navigation", "My hromadas"),
            "issues": pgettext("navigation", "Issues"),
            "partner": pgettext("navigation", "My pledges"),
        },
        "role": {
            "resident": pgettext("role", "resident"),
            "verifier": pgettext("role", "verifier"),
            "coordinator": pgettext("role", "coordinator"),
            "council": pgettext("role", "council"),
            "auditor": pgettext("role", "auditor"),
            "partner": pgettext("role", "partner"),
        },
        "notice": {
            "already_sent": _("This form was already sent — nothing was done twice. Here is the result."),
            "signed_out": _("You have signed out."),
            "welcome": _("Your account is ready. Welcome!"),
            "language": _("Language changed."),
            "notifications_saved": _("Your choices are saved."),
        },
        "history": {
            "migration": pgettext("RV movement", "Moved to a new wallet"),
            "burn": pgettext("RV movement", "Burned"),
            "other": pgettext("RV movement", "Other movement"),
        },
        "programme": {
            "scheduled": pgettext("programme state", "not started"),
            "open": pgettext("programme state", "open"),
            "ended": pgettext("programme state", "ended"),
            "paused": pgettext("programme state", "paused"),
            "closed": pgettext("programme state", "closed"),
        },
        "case": {
            "none": pgettext("case status", "unknown"),
            "pending": pgettext("case status", "being checked"),
            "approved": pgettext("case status", "approved"),
            "rejected": pgettext("case status", "rejected"),
        },
        "status": {
            "queued": pgettext("action status", "queued"),
            "submitted": pgettext("action status", "sent"),
            "confirmed": pgettext("action status", "done"),
            "failed": pgettext("action status", "failed"),
            "expired": pgettext("action status", "expired"),
        },
        "round": {
            "scheduled": pgettext("round state", "scheduled"),
            "pitching": pgettext("round state", "pitching"),
            "screening": pgettext("round state", "screening"),
            "voting": pgettext("round state", "voting open"),
            "tallying": pgettext("round state", "voting closed"),
            "finalised": pgettext("round state", "finalised"),
            "cancelled": pgettext("round state", "cancelled"),
        },
        "rule": {
            "quadratic_funding": pgettext("allocation rule", "quadratic funding"),
            "proportional": pgettext("allocation rule", "proportional to weight"),
            "greedy": pgettext("allocation rule", "by weight while the fund lasts"),
        },
        "project": {
            "pitched": pgettext("project status", "awaiting screening"),
            "eligible": pgettext("project status", "eligible"),
            "ineligible": pgettext("project status", "not eligible"),
        },
        "milestone": {
            "planned": pgettext("milestone state", "planned"),
            "reported": pgettext("milestone state", "reported, waiting for the council"),
            "rejected": pgettext("milestone state", "report rejected"),
            "accepted": pgettext("milestone state", "accepted, waiting for payment"),
            "paid": pgettext("milestone state", "paid"),
            "overdue": pgettext("milestone state", "overdue"),
        },
        "flag_reason": {
            "not_done": pgettext("reason for flagging a report", "Not done"),
            "overpriced": pgettext("reason for flagging a report", "Looks overpriced"),
            "other": pgettext("reason for flagging a report", "Other"),
        },
        "report_rejection": {
            "incomplete": pgettext("reason for rejecting a report", "The work is not finished"),
            "receipts": pgettext("reason for rejecting a report", "Receipts missing or unreadable"),
            "other": pgettext("reason for rejecting a report", "Another reason"),
        },
        "reason": {
            "1": pgettext("reason for rejecting a case", "The evidence cannot be read"),
            "2": pgettext("reason for rejecting a case", "Does not match the programme"),
            "3": pgettext("reason for rejecting a case", "Repeats a case already counted"),
            "4": pgettext("reason for rejecting a case", "Another reason"),
        },
        "programme_change": {
            "pause": _("Pause “%(title)s”"),
            "resume": _("Resume “%(title)s”"),
            "close": _("Close “%(title)s” for good"),
        },
        "screening": {
            "1": pgettext("reason a project is ineligible", "Does not meet the round's rules"),
            "2": pgettext("reason a project is ineligible", "Incomplete description"),
            "3": pgettext("reason a project is ineligible", "Another reason"),
        },
        "source": {
            "0": pgettext("source of a deposit", "Donor"),
            "1": pgettext("source of a deposit", "Local budget"),
            "2": pgettext("source of a deposit", "Other"),
        },
        "loan": {
            "none": pgettext("loan state", "unknown"),
            "applied": pgettext("loan state", "applied"),
            "approved": pgettext("loan state", "approved"),
            "rejected": pgettext("loan state", "rejected"),
            "active": pgettext("loan state", "active"),
            "overdue": pgettext("loan state", "overdue"),
            "repaid": pgettext("loan state", "repaid"),
            "defaulted": pgettext("loan state", "written off"),
            "cancelled": pgettext("loan state", "cancelled"),
        },
        # Co-financing (docs/cofinancing.md): a partner's sector, what a pledge gives, and where it stands.
        "sector": {
            "business": pgettext("partner sector", "Business"),
            "local_budget": pgettext("partner sector", "Local budget"),
            "ngo": pgettext("partner sector", "NGO"),
            "donor": pgettext("partner sector", "International donor"),
            "diaspora": pgettext("partner sector", "Diaspora"),
        },
        "pledge_kind": {
            "money": pgettext("pledge kind", "Money"),
            "materials": pgettext("pledge kind", "Materials"),
            "equipment": pgettext("pledge kind", "Equipment"),
            "labour": pgettext("pledge kind", "Labour hours"),
            "premises": pgettext("pledge kind", "Premises"),
            "stablecoin": pgettext("pledge kind", "Stablecoin"),
        },
        "pledge": {
            "open": pgettext("pledge state", "open"),
            "fulfilled": pgettext("pledge state", "fulfilled"),
            "cancelled": pgettext("pledge state", "withdrawn"),
            "lapsed": pgettext("pledge state", "lapsed"),
        },
        "ledger": {
            "deposits": pgettext("fund ledger", "Deposits in all"),
            "available": pgettext("fund ledger", "Available capital"),
            "programmeReserves": pgettext("fund ledger", "Programme reserves"),
            # what the RV issued brought in, less what rounds have reserved from it: not "RV issued" (the
            # impact ratio's figure), so the name says which it is
            "tokenFund": pgettext("fund ledger", "Token fund not yet reserved for a round"),
            "roundReserves": pgettext("fund ledger", "Round reserves"),
            "committed": pgettext("fund ledger", "Committed to projects"),
            "loansOutstanding": pgettext("fund ledger", "Loans outstanding"),
            "grantsPaid": pgettext("fund ledger", "Grants paid"),
            "writtenOff": pgettext("fund ledger", "Written off"),
        },
    }
