"""The recomputed figures of an audit as plain data (for --json, the report and the pabulib export)."""

from __future__ import annotations

from typing import Any

from cts.audit.abi import CONTRACTS, checksum
from cts.audit.model import (
    CASE_PENDING,
    LOAN_STATUS_NAMES,
    PROGRAMME_STATUS_NAMES,
    PROJECT_STATUS_NAMES,
    RESIDENT_ACTIVE,
    RESIDENT_MOVED,
    RESIDENT_STATUS_NAMES,
    RESIDENT_SUSPENDED,
    ROUND_STATE_NAMES,
)
from cts.audit.recompute import History
from cts.audit.rules import AllocationRule, impact_ratio_bps


def recomputed_figures(h: History, timestamp: int) -> dict[str, Any]:
    """The recomputed figures as plain data (for --json, the report and the pabulib export)."""
    face = h.face_value_kopiyky
    earned_total = h.earned_by_resident()
    by_resident: dict[int, dict[int, int]] = {}
    for (programme_id, resident_id), rv in h.earned.items():
        by_resident.setdefault(resident_id, {})[programme_id] = rv
    rounds = []
    for r in h.rounds.values():
        tallies = r.tallies()
        rounds.append(
            {
                "id": r.id,
                "rule": AllocationRule(r.rules.rule).name.lower(),
                "fund_kopiyky": r.fund_kopiyky,
                "state": ROUND_STATE_NAMES[r.state_at(timestamp)],
                "windows": {
                    "pitch_start": r.pitch_start,
                    "pitch_end": r.pitch_end,
                    "screen_end": r.screen_end,
                    "vote_end": r.vote_end,
                },
                "voters": r.voters,
                "ballot_changes": r.ballot_changes,
                "escrow_rv": r.escrow_total,
                "escrowed_now_rv": r.escrowed_now,
                "total_funded_kopiyky": r.total_funded_kopiyky,
                "unallocated_kopiyky": r.fund_kopiyky - r.total_funded_kopiyky if r.finalised else None,
                "rv_burned": r.rv_burned,
                "refunded_rv": sum(r.refunded.values()),
                "projects": [
                    {
                        "id": p.id,
                        "proposer_id": p.proposer_id,
                        "ask_kopiyky": p.ask_kopiyky,
                        "status": PROJECT_STATUS_NAMES[p.status],
                        "loan_id": p.loan_id,
                        "credits": tallies[p.id].credits,
                        "supporters": tallies[p.id].supporters,
                        "weight": tallies[p.id].weight,
                        "funded_kopiyky": p.funded_kopiyky,
                        "settled": p.settled,
                    }
                    for p in r.projects.values()
                ],
            }
        )
    impact = {}
    for cycle in range(h.current_cycle + 1):
        figures = h.impact[cycle].as_dict() if cycle in h.impact else {}
        cases_value, issued = figures.get("casesValueKopiyky", 0), figures.get("rvIssuedKopiyky", 0)
        impact["all" if cycle == 0 else str(cycle)] = {
            **figures,
            "ratioBps": impact_ratio_bps(cases_value, issued),
        }
    return {
        "token": {
            "face_value_kopiyky": face,
            "total_supply": h.total_supply,
            "total_minted": h.total_minted,
            "total_burned": h.total_burned,
            "holders": sum(1 for b in h.balances.values() if b > 0),
            "held_by_vote_contract": h.balances.get(h.contracts["balancedVote"], 0),
        },
        "residents": {
            "registered": len(h.residents),
            "active": sum(1 for r in h.residents.values() if r.status == RESIDENT_ACTIVE),
            "suspended": sum(1 for r in h.residents.values() if r.status == RESIDENT_SUSPENDED),
            "migrated": sum(1 for r in h.residents.values() if r.previous_addresses),
            "moved": sum(1 for r in h.residents.values() if r.status == RESIDENT_MOVED),
        },
        # Residents who moved between hromadas: each record's links (arrived from, released to).
        "moves": [
            {
                "resident_id": r.id,
                "status": RESIDENT_STATUS_NAMES[r.status],
                "links": [link.as_dict() for link in r.links],
            }
            for r in h.residents.values()
            if r.links
        ],
        "programmes": [
            {
                "id": p.id,
                "title": p.title,
                "status": PROGRAMME_STATUS_NAMES[p.status],
                "reward_per_case_rv": p.reward_per_case,
                "case_value_kopiyky": p.case_value_kopiyky,
                "token_cap_rv": p.token_cap,
                "cases_submitted": p.cases_submitted,
                "cases_approved": p.cases_approved,
                "cases_rejected": p.cases_rejected,
                "cases_pending": sum(
                    1 for c in h.cases.values() if c.programme_id == p.id and c.status == CASE_PENDING
                ),
                "rv_minted": p.rv_minted,
                "rv_minted_kopiyky": p.rv_minted * face,
                "value_approved_kopiyky": p.value_approved_kopiyky,
                "reserve_kopiyky": h.programme_reserve.get(p.id, 0),
            }
            for p in h.programmes.values()
        ],
        "earnings": {
            str(rid): {
                "total_rv": total,
                "by_programme": {str(k): v for k, v in sorted(by_resident[rid].items())},
            }
            for rid, total in sorted(earned_total.items())
        },
        "rounds": rounds,
        "fund": {
            "ledger": h.ledger.as_dict(),
            "ledger_identity_holds": h.ledger.balance_gap == 0,
            "current_cycle": h.current_cycle,
            "deposits": h.deposit_count,
            "impact": impact,
            "loans": [
                {
                    "id": loan.id,
                    "applicant_id": loan.applicant_id,
                    "status": LOAN_STATUS_NAMES[loan.status],
                    "approved_by": loan.approved_by,
                    "principal_kopiyky": loan.principal,
                    "repaid_kopiyky": loan.repaid,
                    "outstanding_kopiyky": loan.outstanding,
                    "round_id": loan.round_id,
                    "project_id": loan.project_id,
                }
                for loan in h.loans.values()
            ],
        },
        "delivery": h.delivery.figures(timestamp),
        "co_financing": h.cofinancing.figures(
            {r.id: (r.fund_kopiyky, r.total_funded_kopiyky) for r in h.rounds.values()}
        ),
        "roles": {
            CONTRACTS.get(contract, contract): {
                role: sorted(checksum(holder) for holder in holders) for role, holders in roles.items()
            }
            for contract, roles in h.roles.items()
        },
    }
