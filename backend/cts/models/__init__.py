"""Database models. Importing this package registers every table on ``Base.metadata``
(migrations/env.py relies on it for autogenerate): a new model module must be imported here."""

from cts.models.delivery import DeliveryComment
from cts.models.hromadas import Hromada, Membership, RoleBudget
from cts.models.idempotency import IdempotencyRecord
from cts.models.issues import (
    AffectedGroup,
    Issue,
    IssueArea,
    IssueCategory,
    IssueEndorsement,
    IssueGroup,
    IssuePhoto,
    IssueState,
    Settlement,
)
from cts.models.journals import JournalImport, JournalLine
from cts.models.notifications import (
    EmailStatus,
    Notification,
    NotificationCursor,
    NotificationEmail,
    NotificationKind,
    NotificationPreference,
)
from cts.models.ratelimit import RateLimitBucket
from cts.models.relayer import (
    ActionClaim,
    ActionStatus,
    Batch,
    BatchAttempt,
    BatchStatus,
    GasMinute,
    RejectionNote,
    RelayAction,
    SponsorAccount,
)
from cts.models.users import AuthSession, Language, Role, User, Wallet

__all__ = [
    "ActionClaim",
    "ActionStatus",
    "AffectedGroup",
    "AuthSession",
    "Batch",
    "BatchAttempt",
    "BatchStatus",
    "DeliveryComment",
    "EmailStatus",
    "GasMinute",
    "Hromada",
    "IdempotencyRecord",
    "Issue",
    "IssueArea",
    "IssueCategory",
    "IssueEndorsement",
    "IssueGroup",
    "IssuePhoto",
    "IssueState",
    "JournalImport",
    "JournalLine",
    "Language",
    "Membership",
    "Notification",
    "NotificationCursor",
    "NotificationEmail",
    "NotificationKind",
    "NotificationPreference",
    "RateLimitBucket",
    "RejectionNote",
    "RelayAction",
    "Role",
    "RoleBudget",
    "Settlement",
    "SponsorAccount",
    "User",
    "Wallet",
]
