"""All SynCode settings: read from `SYNCODE_*` environment variables, typed and validated once at start-up."""

from __future__ import annotations

import json
import os
import secrets
from enum import Enum
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_NAMES = ("jwt_secret", "collab_jwt_secret", "internal_secret")


class SandboxKind(str, Enum):
    auto = "auto"
    docker = "docker"
    process = "process"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SYNCODE_", extra="ignore", validate_default=True)

    # Server
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("./data")
    public_url: str = ""  # base URL clients reach us at; derived from host/port when empty
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: str = "INFO"
    version: str = "0.1.0"
    # /metrics (Prometheus): off unless enabled; with a token set it is on and asks for `Bearer <token>`
    metrics_enabled: bool = False
    metrics_token: str = ""

    # Database: empty URI = start the embedded SecantusDB
    mongodb_uri: str = ""
    mongodb_db: str = "syncode"

    # Secrets: generated into <data_dir>/secrets.json when not given
    jwt_secret: str = ""
    collab_jwt_secret: str = ""
    internal_secret: str = ""

    # Tokens
    access_token_ttl_sec: int = Field(900, ge=10, le=86400)
    refresh_token_ttl_sec: int = Field(30 * 86400, ge=60)
    reset_token_ttl_sec: int = Field(1800, ge=60)
    collab_token_ttl_sec: int = Field(3600, ge=10, le=3600)
    bcrypt_rounds: int = Field(12, ge=4, le=16)

    # Rate limiting (login lockout is independent of this switch)
    rate_limit_enabled: bool = True
    rate_limit_ip_per_min: int = Field(600, ge=1)
    rate_limit_user_per_min: int = Field(600, ge=1)
    rate_limit_auth_per_min: int = Field(30, ge=1)  # register, login, refresh, password flows (per IP)
    rate_limit_execute_per_min: int = Field(30, ge=1)  # run, submit, analysis (per user)
    # Login lockout, per (identifier, client address): this many failures within the window lock that pair for
    # login_lockout_sec, doubled by each further failure up to login_lockout_max_sec; the count is kept until
    # login_lockout_max_sec after the last lock ends (a successful login or a password reset clears it)
    login_lockout_failures: int = Field(5, ge=1)
    login_lockout_window_sec: int = Field(900, ge=1)
    login_lockout_sec: int = Field(900, ge=1)
    login_lockout_max_sec: int = Field(86400, ge=1)

    # Mail: SMTP when smtp_host is set, otherwise <data_dir>/outbox/*.eml
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "SynCode <no-reply@syncode.local>"

    # Problem bank: one TOML file per problem, loaded at start-up
    problem_bank_dir: Path = Path(__file__).resolve().parent.parent / "problems"
    load_problem_bank: bool = True

    # Rooms and execution quotas
    role_swap_ttl_sec: int = Field(60, ge=1, le=600)  # how long a role swap request waits for its answer
    max_active_rooms: int = Field(3, ge=1)
    daily_executions: int = Field(500, ge=1)  # runs + submissions + analyses per user per UTC day
    daily_ai_requests: int = Field(100, ge=1)  # AI messages, hints and reviews per user per UTC day
    storage_bytes: int = Field(50 * 1024 * 1024, ge=1)  # blob bytes per user (avatars, exports)

    # Blobs
    avatar_max_bytes: int = Field(2 * 1024 * 1024, ge=1)
    blob_url_ttl_sec: int = Field(900, ge=10)

    # Judge
    sandbox: SandboxKind = SandboxKind.auto
    judge_workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1, le=64)
    judge_queue_size: int = Field(64, ge=1)
    judge_output_limit_bytes: int = Field(64 * 1024, ge=1024)
    judge_pool_size: int = Field(2, ge=0, le=32)
    judge_image: str = "syncode-runner:latest"
    judge_max_time_ms: int = Field(15000, ge=100)
    judge_max_memory_mb: int = Field(1024, ge=16)
    # Bytes of build outputs (binaries, class files) kept so that code compiled once is not compiled again (a
    # submission of code just run); least recently used out first; 0 turns the cache off
    judge_build_cache_bytes: int = Field(256 * 1024 * 1024, ge=0)

    # Collab plane
    # true: an update is relayed once in the local journal (<data_dir>/collab-journal) and copied to MongoDB
    # right after; false: relayed only once MongoDB has acknowledged it (a round trip on every keystroke)
    collab_journal: bool = True
    collab_max_message_bytes: int = Field(1024 * 1024, ge=1024)
    collab_messages_per_sec: int = Field(200, ge=1)
    # Bytes a connection, and a whole room, may send per second (bursts: one largest message, two per room), and
    # the size a document may grow to: one participant must not be able to load the database for everyone.
    collab_bytes_per_sec: int = Field(256 * 1024, ge=1024)
    collab_room_bytes_per_sec: int = Field(512 * 1024, ge=1024)
    collab_max_document_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024)
    collab_compact_updates: int = Field(500, ge=1)
    collab_compact_seconds: int = Field(60, ge=1)
    collab_unload_seconds: int = Field(30, ge=0)
    collab_snapshot_interval_sec: int = Field(30, ge=1)
    collab_tick_sec: float = Field(1.0, gt=0, le=60)  # how often idle rooms, compaction and snapshots are checked
    # The edit history (keystroke replay): deleted this many days after a room's last edit (fractions allowed);
    # a checkpoint of the document every this many updates bounds the work of rebuilding any moment
    collab_history_days: float = Field(365, gt=0, le=36500)
    collab_history_checkpoint_updates: int = Field(500, ge=1, le=100_000)

    # Event channel (/api/ws): client frames per socket per second (above: close 4029), chat limits per user
    events_messages_per_sec: int = Field(20, ge=1)
    chat_max_chars: int = Field(2000, ge=1, le=20000)
    chat_messages_per_min: int = Field(30, ge=1)
    chat_burst: int = Field(10, ge=1)

    # Matchmaking: a proposal waits this long for both answers; a searching entry lives this long without a status
    # poll or an open /api/ws connection; how often the engine expires proposals and entries and pairs again
    # (score windows widen with time); two users' average report scores may differ by match_score_gap, plus
    # match_score_gap_per_sec for every second the longer-waiting of them has waited
    match_proposal_ttl_sec: float = Field(30, gt=0, le=3600)
    match_queue_ttl_sec: float = Field(120, gt=0, le=86400)
    match_tick_sec: float = Field(1.0, gt=0, le=60)
    match_score_gap: float = Field(10, ge=0, le=100)
    match_score_gap_per_sec: float = Field(0.5, ge=0, le=100)

    # AI interviewer. The LLM: any OpenAI-compatible chat-completions endpoint (the offline engine without one);
    # each call times out after llm_timeout_sec and is retried llm_max_retries times with backoff (429, 5xx,
    # timeouts), an invalid answer once; then the offline engine answers.
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_model: str = ""
    llm_timeout_sec: float = Field(30, gt=0, le=600)
    llm_max_retries: int = Field(2, ge=0, le=10)
    llm_max_tokens: int = Field(800, ge=64, le=32000)
    llm_temperature: float = Field(0.2, ge=0, le=2)
    ai_workers: int = Field(4, ge=1, le=64)  # AI requests answered at once
    ai_message_max_chars: int = Field(4000, ge=1, le=20000)
    # Per user and room within ai_window_sec (429 RATE_LIMITED with Retry-After); the daily quota is above
    ai_window_sec: int = Field(300, ge=1)
    ai_hints_per_window: int = Field(3, ge=1)
    ai_messages_per_window: int = Field(20, ge=1)
    ai_reviews_per_window: int = Field(10, ge=1)
    # AI-mode rooms: a nudge after ai_idle_nudge_sec without edits or runs in coding, or after this many failing
    # runs in a row; proactive turns at most one per ai_proactive_gap_sec per room; checked every ai_tick_sec
    ai_idle_nudge_sec: float = Field(300, gt=0)
    ai_failing_runs_nudge: int = Field(3, ge=1)
    ai_proactive_gap_sec: float = Field(45, ge=0)
    ai_tick_sec: float = Field(5, gt=0, le=60)
    # A reply whose code shares this much with a reference solution is replaced by a hint (syncode/ai/guard.py)
    ai_leak_threshold: float = Field(0.5, gt=0, le=1)

    # Media (optional integration)
    livekit_url: str = ""
    livekit_api_key: str = ""
    livekit_api_secret: str = ""
    livekit_token_ttl_sec: int = Field(4 * 3600, ge=60, le=86400)  # longest media token (the room's time caps it)

    # Object storage: S3 (AWS, MinIO, Ceph, R2: any S3-compatible store) when a bucket is set, with its access keys;
    # otherwise local files under <data_dir>/blobs served through signed URLs. Recordings need S3 (egress uploads).
    s3_endpoint: str = ""  # empty for AWS itself
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @model_validator(mode="after")
    def _integrations_complete(self) -> Settings:
        groups = {
            "SYNCODE_LIVEKIT_URL, _API_KEY and _API_SECRET": (
                self.livekit_url,
                self.livekit_api_key,
                self.livekit_api_secret,
            ),
            "SYNCODE_S3_BUCKET, _ACCESS_KEY_ID and _SECRET_ACCESS_KEY": (
                self.s3_bucket,
                self.s3_access_key_id,
                self.s3_secret_access_key,
            ),
        }
        for names, values in groups.items():
            if any(values) and not all(values):
                raise ValueError(f"{names} are set together or not at all")
        if self.s3_endpoint and not self.s3_bucket:
            raise ValueError("SYNCODE_S3_ENDPOINT needs SYNCODE_S3_BUCKET and the access keys")
        return self

    @property
    def media_enabled(self) -> bool:
        return bool(self.livekit_url)

    @property
    def s3_enabled(self) -> bool:
        return bool(self.s3_bucket)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"


class SettingsError(Exception):
    """A setting has a bad value; the message names the environment variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (plus explicit overrides) and fill in persisted secrets."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "SYNCODE_" + str(err["loc"][0]).upper() if err["loc"] else "SYNCODE_*"
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
    return ensure_secrets(settings)


def ensure_secrets(settings: Settings) -> Settings:
    """Secrets not given are generated once into <data_dir>/secrets.json so restarts keep tokens valid."""
    missing = [name for name in SECRET_NAMES if not getattr(settings, name)]
    if not missing:
        return settings
    path = settings.data_dir / "secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for name in missing:
        stored.setdefault(name, secrets.token_urlsafe(48))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stored, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
    return settings.model_copy(update={name: stored[name] for name in missing})
