"""The producer: finds what residents must be told, from the chain, and records it (cts.notify.events).

- **Decided cases** are the useful-case contract's ``CaseApproved`` and ``CaseRejected`` events, read from the
  block after the hromada's cursor (``notification_cursors``) to the latest, in pages; each page's
  notifications and the cursor's move are one transaction. The key is the case (``case:<id>``): a case is
  decided once, so even an event read twice (a crash before the cursor moved, two producers, a reorganised
  block mined again in another transaction) tells nobody twice. A rejection carries its reasons: each
  verifier's ``CaseRejectedBy`` reason code, and for "another reason" the verifier's words (rejection notes).
- **Rounds** are read from the vote contract's state at each pass, by the chain's clock: a round in its voting
  window tells its hromada's residents ``round:<id>:opened``; within CTS_NOTIFY_ROUND_CLOSING_HOURS of
  ``voteEnd`` it tells them ``round:<id>:closing`` instead (a round first seen that late is told once, as
  closing). A resident who joins while a round is open is told at the next pass.
- A decision older than CTS_NOTIFY_EMAIL_MAX_AGE_HOURS (chain time) when it is first read is told on the page
  only: starting on a hromada with a history mails nobody their past.
- **Milestones** are ProjectDelivery's ``ReportAccepted`` events (a milestone is reached when the council
  accepts its report), read like the cases with a cursor of their own; they tell the project's voters: the
  residents whose latest ``BallotCast`` in the round gave the project credits. The key is the milestone
  (``project:<round>:<project>:<index>``).

The chain is read before each database transaction, so no transaction stays open while a node answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from cts.core.config import Settings
from cts.models import (
    ActionStatus,
    Hromada,
    Membership,
    NotificationCursor,
    NotificationKind,
    RejectionNote,
    RelayAction,
    Role,
    User,
    Wallet,
)
from cts.notify.events import record_event, record_milestone
from cts.relayer.context import ChainContext
from cts.web.files import DocumentStore
from cts.web.reads import build_read_context, call_struct

logger = logging.getLogger(__name__)

CASES_SOURCE = "cases"
DELIVERY_SOURCE = "delivery"
LOG_PAGE_BLOCKS = 5_000  # what public RPC providers accept in one eth_getLogs
VOTING = 3  # IBalancedVote.RoundState.Voting
OTHER_REASON = 4  # "another reason": the verifier's words are in the rejection notes


@dataclass(frozen=True)
class CaseDecided:
    case_id: int
    address: str  # the resident's current address
    params: dict[str, Any]
    chain_time: int


@dataclass(frozen=True)
class MilestoneReached:
    round_id: int
    project_id: int
    index: int  # from 0
    count: int  # milestones in the project's plan
    title: str
    voters: list[str]  # addresses
    chain_time: int


@dataclass
class NotificationProducer:
    settings: Settings
    session_factory: sessionmaker[Session]
    _chains: dict[str, ChainContext] = field(default_factory=dict)

    def run_once(self) -> int:
        """One pass over every hromada that has contracts; returns how many notifications it made."""
        with self.session_factory() as session:
            hromadas = [h for h in session.scalars(select(Hromada).order_by(Hromada.id)) if h.is_ready]
            session.expunge_all()
        made = 0
        for hromada in hromadas:
            chain = self._chain(hromada)
            made += self.scan_cases(hromada, chain)
            made += self.scan_rounds(hromada, chain)
            made += self.scan_milestones(hromada, chain)
        return made

    def _chain(self, hromada: Hromada) -> ChainContext:
        key = f"{hromada.slug}:{hromada.contracts}"
        if key not in self._chains:
            self._chains[key] = build_read_context(self.settings, hromada)
        return self._chains[key]

    # ------------------------------------------------------------ cases

    def scan_cases(self, hromada: Hromada, chain: ChainContext) -> int:
        latest = int(chain.w3.eth.block_number)
        # Decisions older than this are told on the page only: a service that starts reading a hromada with a
        # history (a new installation, a cursor lost) does not mail every resident their whole past.
        mail_after = (
            int(chain.w3.eth.get_block(latest)["timestamp"]) - self.settings.notify_email_max_age_hours * 3600
        )
        with self.session_factory() as session:
            cursor = self._cursor(session, hromada)
            start = cursor.block + 1 if cursor.id is not None else int(hromada.deployed_block or 0)
        made = 0
        while start <= latest:
            end = min(start + LOG_PAGE_BLOCKS - 1, latest)
            decided = self._decided(hromada, chain, start, end)
            with self.session_factory() as session:
                for event in decided:
                    made += len(
                        record_event(
                            session,
                            self.settings,
                            hromada,
                            NotificationKind.CASE_DECIDED,
                            f"case:{event.case_id}",
                            self._holders(session, hromada, event.address),
                            event.params,
                            event.chain_time,
                            email=event.chain_time >= mail_after,
                        )
                    )
                cursor = self._cursor(session, hromada)
                cursor.block = end
                session.add(cursor)
                session.commit()
            start = end + 1
        return made

    def _cursor(self, session: Session, hromada: Hromada, source: str = CASES_SOURCE) -> NotificationCursor:
        found = session.scalar(
            select(NotificationCursor).where(
                NotificationCursor.hromada_id == hromada.id, NotificationCursor.source == source
            )
        )
        return found or NotificationCursor(hromada_id=hromada.id, source=source, block=-1)

    def _decided(self, hromada: Hromada, chain: ChainContext, start: int, end: int) -> list[CaseDecided]:
        cases = chain.hromada.cases
        logs = [
            *cases.events.CaseApproved().get_logs(from_block=start, to_block=end),
            *cases.events.CaseRejected().get_logs(from_block=start, to_block=end),
        ]
        logs.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
        titles: dict[int, str] = {}
        times: dict[int, int] = {}
        decided = []
        for log in logs:
            args = log["args"]
            case_id, programme = int(args["caseId"]), int(args["programmeId"])
            if programme not in titles:
                titles[programme] = str(call_struct(cases, "programme", programme)["title"])
            block = int(log["blockNumber"])
            if block not in times:
                times[block] = int(chain.w3.eth.get_block(block)["timestamp"])
            params: dict[str, Any] = {
                "case": case_id,
                "programme": programme,
                "programme_title": titles[programme],
            }
            if log["event"] == "CaseApproved":
                address = str(args["resident"])
                params |= {"outcome": "approved", "rv": int(args["rvMinted"])}
            else:
                address = str(chain.hromada.registry.functions.addressOf(int(args["residentId"])).call())
                params |= {"outcome": "rejected", "reasons": self._reasons(hromada, chain, case_id)}
            decided.append(CaseDecided(case_id, to_checksum_address(address), params, times[block]))
        return decided

    def _reasons(self, hromada: Hromada, chain: ChainContext, case_id: int) -> list[list[Any]]:
        """Each rejection's reason code, with the verifier's words for "another reason"."""
        rejections = chain.hromada.cases.events.CaseRejectedBy().get_logs(
            from_block=int(hromada.deployed_block or 0), argument_filters={"caseId": case_id}
        )
        with self.session_factory() as session:
            # The event proves the rejection ran: its action may not be marked confirmed yet (the worker
            # settles the receipt after the block), but it did not fail.
            notes = {
                str(verifier).lower(): str(text)
                for verifier, text in session.execute(
                    select(RejectionNote.verifier, RejectionNote.text)
                    .join(RelayAction, RelayAction.id == RejectionNote.action_id)
                    .where(
                        RejectionNote.hromada == hromada.slug,
                        RejectionNote.case_id == case_id,
                        RelayAction.status.not_in((ActionStatus.FAILED, ActionStatus.EXPIRED)),
                    )
                    .order_by(RejectionNote.id)
                )
            }
        reasons: list[list[Any]] = []
        for log in sorted(rejections, key=lambda log: (log["blockNumber"], log["logIndex"])):
            code = int(log["args"]["reasonCode"])
            note = notes.get(str(log["args"]["verifier"]).lower()) if code == OTHER_REASON else None
            reasons.append([code, note])
        return reasons

    @staticmethod
    def _holders(session: Session, hromada: Hromada, address: str) -> list[int]:
        """The people of the hromada whose wallet (custodial or their own) this address is."""
        forms = [address, address.lower()]
        users = session.scalars(
            select(User.id)
            .outerjoin(Wallet, Wallet.user_id == User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.hromada_id == hromada.id,
                or_(Wallet.address.in_(forms), User.own_wallet_address.in_(forms)),
            )
        )
        return sorted(set(users))

    # ------------------------------------------------------------ rounds

    def scan_rounds(self, hromada: Hromada, chain: ChainContext) -> int:
        vote = chain.hromada.vote
        now = int(chain.w3.eth.get_block("latest")["timestamp"])
        window = self.settings.notify_round_closing_hours * 3600
        events = []
        for round_id in range(1, int(vote.functions.roundCount().call()) + 1):
            if int(vote.functions.roundState(round_id).call()) != VOTING:
                continue
            params = call_struct(vote, "round", round_id)["params"]
            opened, closes = int(params["screenEnd"]), int(params["voteEnd"])
            document = DocumentStore(self.settings).load(bytes(params["metadataHash"]))
            facts = {"round": round_id, "title": document.title if document else "", "vote_end": closes}
            if now >= closes - window:
                told_at = max(closes - window, opened)
                events.append((NotificationKind.ROUND_CLOSING, f"round:{round_id}:closing", facts, told_at))
            else:
                events.append((NotificationKind.ROUND_OPENED, f"round:{round_id}:opened", facts, opened))
        if not events:
            return 0
        made = 0
        with self.session_factory() as session:
            residents = list(
                session.scalars(
                    select(Membership.user_id).where(
                        Membership.hromada_id == hromada.id, Membership.role == Role.RESIDENT
                    )
                )
            )
            for kind, key, facts, told_at in events:
                made += len(
                    record_event(session, self.settings, hromada, kind, key, residents, facts, told_at)
                )
            session.commit()
        return made

    # ------------------------------------------------------------ milestones

    def scan_milestones(self, hromada: Hromada, chain: ChainContext) -> int:
        latest = int(chain.w3.eth.block_number)
        mail_after = (
            int(chain.w3.eth.get_block(latest)["timestamp"]) - self.settings.notify_email_max_age_hours * 3600
        )
        with self.session_factory() as session:
            cursor = self._cursor(session, hromada, DELIVERY_SOURCE)
            start = cursor.block + 1 if cursor.id is not None else int(hromada.deployed_block or 0)
        made = 0
        while start <= latest:
            end = min(start + LOG_PAGE_BLOCKS - 1, latest)
            reached = self._reached(hromada, chain, start, end)
            with self.session_factory() as session:
                for milestone in reached:
                    voters = sorted(
                        {
                            user
                            for address in milestone.voters
                            for user in self._holders(session, hromada, address)
                        }
                    )
                    made += len(
                        record_milestone(
                            session,
                            self.settings,
                            hromada,
                            round_id=milestone.round_id,
                            project_id=milestone.project_id,
                            milestone=str(milestone.index),
                            project_title=milestone.title,
                            text="",
                            voter_ids=voters,
                            chain_time=milestone.chain_time,
                            extra={"number": milestone.index + 1, "count": milestone.count},
                            email=milestone.chain_time >= mail_after,
                        )
                    )
                cursor = self._cursor(session, hromada, DELIVERY_SOURCE)
                cursor.block = end
                session.add(cursor)
                session.commit()
            start = end + 1
        return made

    def _reached(self, hromada: Hromada, chain: ChainContext, start: int, end: int) -> list[MilestoneReached]:
        delivery, vote = chain.hromada.delivery, chain.hromada.vote
        logs = sorted(
            delivery.events.ReportAccepted().get_logs(from_block=start, to_block=end),
            key=lambda log: (log["blockNumber"], log["logIndex"]),
        )
        reached = []
        for log in logs:
            args = log["args"]
            round_id, project_id, index = int(args["roundId"]), int(args["projectId"]), int(args["index"])
            project = call_struct(vote, "project", round_id, project_id)
            document = DocumentStore(self.settings).load(bytes(project["metadataHash"]))
            reached.append(
                MilestoneReached(
                    round_id=round_id,
                    project_id=project_id,
                    index=index,
                    count=len(delivery.functions.plan(round_id, project_id).call()),
                    title=document.title if document else "",
                    voters=self._voters(hromada, chain, round_id, project_id),
                    chain_time=int(chain.w3.eth.get_block(int(log["blockNumber"]))["timestamp"]),
                )
            )
        return reached

    @staticmethod
    def _voters(hromada: Hromada, chain: ChainContext, round_id: int, project_id: int) -> list[str]:
        """The addresses of the residents whose latest ballot in the round gave the project credits."""
        latest: dict[int, Any] = {}
        for log in sorted(
            chain.hromada.vote.events.BallotCast().get_logs(
                from_block=int(hromada.deployed_block or 0), argument_filters={"roundId": round_id}
            ),
            key=lambda log: (log["blockNumber"], log["logIndex"]),
        ):
            latest[int(log["args"]["residentId"])] = log["args"]
        return [
            to_checksum_address(str(ballot["voter"]))
            for ballot in latest.values()
            if any(
                int(p) == project_id and int(c) > 0
                for p, c in zip(ballot["projectIds"], ballot["credits"], strict=True)
            )
        ]
