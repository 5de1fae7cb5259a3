"""Settings: the one place where CTS reads its configuration (environment variables ``CTS_*``).

Secrets have no default and are refused when left at a placeholder outside development, so that a
production service can never start with a demo master key.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal, Self

from argon2 import profiles
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cts.chain.artifacts import REPO_ROOT

DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'cts.sqlite3'}"

# A master key shorter than this is refused outside development: it is the input keying material
# of every wallet key's encryption, so it must carry at least 256 bits when written as text.
# `python -c "import secrets; print(secrets.token_urlsafe(32))"` makes a good one (43 characters).
MASTER_KEY_MIN_LENGTH = 32
_PLACEHOLDER_FRAGMENTS = ("change-me", "changeme", "change_me", "change-this", "placeholder", "example")
_PLACEHOLDER_VALUES = frozenset({"secret", "password", "master-key", "masterkey", "test", "dev", "todo"})
_MASTER_KEY_MIN_DISTINCT_CHARACTERS = 10

# argon2's recommended parameters (RFC 9106, low-memory profile), the production default.
_ARGON2 = profiles.RFC_9106_LOW_MEMORY


def is_placeholder_secret(value: str) -> bool:
    """Tell whether a secret looks like a value copied from an example rather than generated."""
    lowered = value.strip().lower()
    if lowered in _PLACEHOLDER_VALUES:
        return True
    if any(fragment in lowered for fragment in _PLACEHOLDER_FRAGMENTS):
        return True
    return len(set(value)) < _MASTER_KEY_MIN_DISTINCT_CHARACTERS


class Settings(BaseSettings):
    """Everything CTS is configured with. Environment variables are ``CTS_<FIELD NAME>``."""

    # hide_input_in_errors: a refused master key must not be echoed in the error (nor in a log of it).
    model_config = SettingsConfigDict(
        env_prefix="CTS_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = Field(
        default="production",
        description="'development' relaxes the master-key checks and the Secure cookie flag. "
        "The default is production, so that forgetting to set it never weakens a real service.",
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        repr=False,  # a PostgreSQL URL may carry a password
        description="SQLAlchemy URL: sqlite:///path (default, embedded) or "
        "postgresql+psycopg://user:password@host/db (several relayer instances sharing one queue).",
    )
    master_key: SecretStr = Field(
        description="Encrypts every custodial wallet key (AES-256-GCM under HKDF-SHA256 of this). "
        "Set CTS_MASTER_KEY, or CTS_MASTER_KEY_FILE to a file holding it. Required, no default.",
    )
    master_key_file: Path | None = Field(
        default=None,
        description="A file whose content (trailing newline stripped) is the master key.",
    )
    session_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0, description="Lifetime of a login.")
    rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC endpoint of the chain.")
    rpc_timeout_seconds: float = Field(
        default=5,
        gt=0,
        description="How long the service and the relayer wait for the node's answer to one call: a node "
        "that hangs is then treated as away (the API answers 503, the worker waits for it).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        repr=False,
        description="A bearer token with which a scraper on another machine may read /metrics; without "
        'it, /metrics answers only clients on this machine (docs/operations.md, "Metrics").',
    )
    var_dir: Path = Field(
        default=REPO_ROOT / "var",
        description="Folder of the files the service keeps: evidence uploads (evidence/<sha256>.<ext>) and "
        "published descriptions of projects and rounds (documents/<sha256>.json).",
    )
    evidence_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest evidence file (photo, document) accepted."
    )
    # The issues' map (issue 18): where its background tiles come from. The page names the tiles' origin in
    # its Content-Security-Policy, and still shows every issue's marker and the list when tiles cannot load.
    map_tiles_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^\s\"'<>]*$",
        description="The map's tile address with {z}, {x} and {y} (OpenStreetMap's by default; its usage "
        "policy asks heavy users to run their own tile server).",
    )
    map_tiles_attribution: str = Field(
        default="© OpenStreetMap contributors",
        max_length=200,
        description="Who made the tiles, shown on the map as the tile source's licence requires (as text).",
    )
    # Delivery pages (issue 19) link a project's public records where they are published.
    prozorro_tender_url: str = Field(
        default="https://prozorro.gov.ua/tender/{id}",
        pattern=r"^https://[^\s\"'<>]*\{id\}[^\s\"'<>]*$",
        description="Address of a Prozorro tender's page, with {id} for its id (UA-2026-03-15-000123-a).",
    )
    dream_project_url: str = Field(
        default="https://dream.gov.ua/ua/project/{id}",
        pattern=r"^https://[^\s\"'<>]*\{id\}[^\s\"'<>]*$",
        description="Address of a project's page in DREAM, Ukraine's recovery projects register, with {id}.",
    )

    # Password hashing (argon2id). The defaults are argon2's recommended ones; tests lower them through
    # these settings to stay fast. Never lower them in production.
    password_hash_time_cost: int = Field(default=_ARGON2.time_cost, ge=1)
    password_hash_memory_kib: int = Field(default=_ARGON2.memory_cost, ge=8)
    password_hash_parallelism: int = Field(default=_ARGON2.parallelism, ge=1)

    # Login throttling, per login identifier (phone or e-mail), whether or not the account exists.
    login_attempts_per_window: int = Field(default=10, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    login_client_failures_per_window: int = Field(
        default=30,
        ge=1,
        description="Failed sign-ins one client address may make per login window, over all accounts "
        "(behind a reverse proxy, run uvicorn with --forwarded-allow-ips so that this is the client's).",
    )

    # --- The hromada this service acts for ---------------------------------------------------------
    manifest_path: Path | None = Field(
        default=None,
        description="Deployment manifest (deployments/<chain id>.json) naming the CTS contracts.",
    )
    hromada: str | None = Field(
        default=None, description="Key (or name) of the hromada in the manifest; optional if it holds one."
    )

    # --- Relayer ----------------------------------------------------------------------------------
    relayer_sponsor_keys: SecretStr | None = Field(
        default=None,
        repr=False,
        description="Private keys of the sponsor accounts that pay gas, comma-separated (or use the file).",
    )
    relayer_sponsor_keys_file: Path | None = Field(
        default=None, description="A file with one sponsor private key per line."
    )
    relayer_batch_size: int = Field(
        default=50, ge=1, le=200, description="Most requests in one executeBatch."
    )
    relayer_request_ttl_seconds: int = Field(
        default=600, ge=30, description="Deadline of the ForwardRequests the relayer signs for residents."
    )
    relayer_max_request_deadline_seconds: int = Field(
        default=3600, ge=60, description="Latest deadline accepted on a self-signed request."
    )
    relayer_resubmit_after_seconds: float = Field(
        default=30, gt=0, description="Resend with higher fees when a batch is not mined after this."
    )
    relayer_fee_bump_percent: int = Field(default=25, ge=10, le=200, description="Fee increase per resend.")
    relayer_max_fee_per_gas_wei: int = Field(
        default=200 * 10**9, gt=0, description="Hard cap on the fee per gas the relayer ever offers."
    )
    relayer_priority_fee_wei: int = Field(default=10**9, ge=0, description="Tip per gas offered at first.")
    relayer_low_balance_wei: int = Field(
        default=5 * 10**17, ge=0, description="Below this a sponsor account's balance raises an alert."
    )
    # The defaults of each hromada's role budgets (cts.budgets); its council may choose others.
    relayer_actions_per_window: int = Field(
        default=30, ge=1, description="Actions a resident may ask per window."
    )
    relayer_staff_actions_per_window: int = Field(
        default=1_000,
        ge=1,
        description="Actions a council member, verifier or coordinator may ask per window.",
    )
    relayer_action_window_seconds: int = Field(default=600, ge=1)
    relayer_daily_gas_budget: int = Field(
        default=5_000_000, ge=0, description="Gas the relayer sponsors per resident per 24 hours."
    )
    relayer_staff_daily_gas_budget: int = Field(
        default=400_000_000,
        ge=0,
        description=(
            "Gas the relayer sponsors per council member, verifier or coordinator per 24 hours: a day of "
            "the pilot's work (854 registrations, or 901 approvals) with room to spare."
        ),
    )
    relayer_lease_seconds: float = Field(
        default=5,
        gt=0,
        description="A worker's hold on a sponsor account, renewed while the worker lives: a worker that "
        "dies is replaced by another within this time.",
    )
    relayer_max_in_flight: int = Field(default=4, ge=1, description="Unmined batches per sponsor account.")
    relayer_poll_seconds: float = Field(default=0.5, gt=0, description="Idle pause of the worker loop.")

    # --- Notifications (cts.notify; docs/notifications.md) --------------------------------------------
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address residents open the pages at: notification e-mails' links start with it.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="The SMTP server that sends notification e-mails; without it no e-mail is sent (the "
        "pages still show the notifications).",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (port 587), tls (implicit TLS, port 465), or none (a relay on this machine).",
    )
    smtp_user: str | None = Field(default=None, description="Login at the SMTP server, if it asks for one.")
    smtp_password: SecretStr | None = Field(default=None, repr=False)
    smtp_from: str = Field(
        default="CTS <noreply@localhost>",
        description="The From of notification e-mails: a name and an address.",
    )
    smtp_timeout_seconds: float = Field(default=20, gt=0, description="How long one SMTP call may take.")
    notify_poll_seconds: float = Field(
        default=5, gt=0, description="Pause between two passes of `cts notify run` (events, then e-mails)."
    )
    notify_round_closing_hours: int = Field(
        default=24,
        ge=1,
        le=24 * 14,
        description="How long before voting closes (chain time) residents are told.",
    )
    notify_email_max_age_hours: int = Field(
        default=72,
        ge=1,
        description="A case decided longer ago than this (chain time) when first read is told on the page "
        "only: a service that starts reading a hromada with a history mails nobody their past.",
    )
    notify_retry_seconds: float = Field(
        default=60,
        gt=0,
        description="The first wait before an e-mail the server did not take is tried again; "
        "it doubles with each try, up to an hour.",
    )
    notify_max_attempts: int = Field(
        default=10, ge=1, description="Tries before an e-mail is given up as failed."
    )
    notify_claim_seconds: float = Field(
        default=120,
        gt=0,
        description="How long a sender holds an e-mail it took: one that dies is replaced after this. Longer "
        "than a whole SMTP exchange (a few times CTS_SMTP_TIMEOUT_SECONDS).",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_master_key_file(cls, data: Any) -> Any:
        """Accept the master key from a file (CTS_MASTER_KEY_FILE), which keeps it out of the environment."""
        if not isinstance(data, dict) or data.get("master_key_file") in (None, ""):
            return data
        if data.get("master_key") not in (None, ""):
            raise ValueError("set CTS_MASTER_KEY or CTS_MASTER_KEY_FILE, not both")
        path = Path(data["master_key_file"])
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"cannot read the master key file {path}: {error.strerror}") from None
        return {**data, "master_key": content.rstrip("\r\n")}

    @model_validator(mode="after")
    def _refuse_weak_master_key(self) -> Self:
        """Refuse an empty key always, and a placeholder or short key outside development."""
        key = self.master_key.get_secret_value()
        if not key.strip():
            raise ValueError("the master key is empty: set CTS_MASTER_KEY or CTS_MASTER_KEY_FILE")
        if self.environment != "development":
            if is_placeholder_secret(key):
                raise ValueError(
                    "the master key is a placeholder: generate one, e.g. "
                    '`python -c "import secrets; print(secrets.token_urlsafe(32))"`'
                )
            if len(key) < MASTER_KEY_MIN_LENGTH:
                raise ValueError(
                    f"the master key is too short: at least {MASTER_KEY_MIN_LENGTH} characters are needed"
                )
        return self

    @model_validator(mode="after")
    def _refuse_a_password_in_clear(self) -> Self:
        """An SMTP password never crosses the network unencrypted: `none` is for a relay on this machine."""
        loopback = self.smtp_host in ("localhost", "127.0.0.1", "::1")
        if (
            self.smtp_host
            and self.smtp_security == "none"
            and self.smtp_password is not None
            and not loopback
        ):
            raise ValueError(
                "CTS_SMTP_SECURITY=none would send the SMTP password unencrypted: use starttls or tls"
            )
        return self

    @model_validator(mode="after")
    def _tiles_have_their_placeholders(self) -> Self:
        """A tile address names the tile: without {z}, {x} and {y} every tile would be the same picture."""
        missing = [name for name in ("{z}", "{x}", "{y}") if name not in self.map_tiles_url]
        if missing:
            raise ValueError(f"CTS_MAP_TILES_URL lacks {', '.join(missing)}")
        return self

    def sponsor_keys(self) -> list[str]:
        """The sponsor accounts' private keys (from CTS_RELAYER_SPONSOR_KEYS or its file)."""
        if self.relayer_sponsor_keys is not None:
            text = self.relayer_sponsor_keys.get_secret_value().replace("\n", ",")
        elif self.relayer_sponsor_keys_file is not None:
            text = self.relayer_sponsor_keys_file.read_text(encoding="utf-8").replace("\n", ",")
        else:
            return []
        return [key.strip() for key in text.split(",") if key.strip()]

    @property
    def is_development(self) -> bool:
        return self.environment == "development"


@cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()  # type: ignore[call-arg]  # master_key comes from the environment
