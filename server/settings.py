"""Settings read from environment variables.

Every field has a safe default for a laptop, and a malformed value stops the
app at start with a message naming the variable (`SettingsError`), rather
than limping on with a guess.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """A configuration value is missing or malformed."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = _env(name, "true" if default else "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _optional_bool(name: str) -> bool | None:
    return None if _env(name, "") == "" else _bool(name, False)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: an address only this computer can reach."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _divisor_of_minute(name: str, default: int) -> int:
    value = _int(name, default, minimum=1)
    if 60 % value:
        raise SettingsError(f"{name} must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60), got {value}")
    return value


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    """sqlite:///relative/path, sqlite:////absolute/path or postgresql://user@host:port/db"""

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        # sqlite:///var/app.db -> relative to the project root;
        # sqlite:////tmp/app.db -> absolute.
        rest = self.url[len("sqlite:///"):]
        path = Path(rest)
        return path if path.is_absolute() else PROJECT_ROOT / path

    @staticmethod
    def parse(url: str) -> "DatabaseSettings":
        if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
            return DatabaseSettings(url)
        parsed = urlparse(url)
        if parsed.scheme in ("postgresql", "postgres") and parsed.hostname and parsed.path.strip("/"):
            return DatabaseSettings(url)
        raise SettingsError(
            "DATABASE_URL must look like sqlite:///var/app.db, sqlite:////abs/path.db "
            f"or postgresql://user@host:5432/dbname, got {url!r}"
        )

    def postgres_config(self) -> dict:
        parsed = urlparse(self.url)
        config = {
            "host": parsed.hostname,
            "port": parsed.port or 5432,
            "database": parsed.path.lstrip("/"),
            "user": parsed.username or "postgres",
        }
        if parsed.password:
            config["password"] = parsed.password
        return config


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    """SMTP host; empty disables email notifications."""
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = "noreply@localhost"
    starttls: bool = False


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    redis_url: str
    """Redis for the arq job queue. Empty means "not configured" (the Makefile starts one)."""
    media_root: Path
    """Where photo originals, display images and thumbnails are stored (and, with a bucket, scratch space)."""
    secret_key: str
    """Signs CSRF tokens and contractor links. Set it in production; a random one is made otherwise."""
    base_url: str = ""
    """The site's public address, used in links sent by webhook and email."""
    host: str = "127.0.0.1"
    port: int = 8000
    upload_max_bytes: int = 25 * 1024 * 1024
    """Largest accepted photo file."""
    upload_max_pixels: int = 50_000_000
    """Largest accepted image area; bigger ones are refused as decompression bombs."""
    session_days: int = 14
    token_days: int = 30
    login_max_failures_per_account: int = 5
    login_max_failures_per_client: int = 20
    login_window_minutes: int = 15
    trusted_proxies: frozenset[str] = frozenset()
    """TRUSTED_PROXIES: addresses of our reverse proxies; a request from one of them is counted (sign-in
    throttling, logs) against the client it names in X-Forwarded-For, not against the proxy."""
    default_language: str = "zh_CN"
    rectify_days: int = 7
    """Days a construction unit has to rectify a defect."""
    urgent_rectify_days: int = 1
    """Days for an urgent defect (a safety risk now)."""
    debug: bool = False
    demo_setting: bool | None = None
    """DEMO: 1 loads the demo project into an empty database at `make run`, 0 never; unset: only on a loopback HOST."""
    photo_sweep_seconds: int = 60
    """How often the worker re-queues photos left `pending` (their job was lost, or Redis was down)."""
    photo_claim_seconds: int = 120
    """PHOTO_CLAIM_SECONDS: a worker renews its claim on the photo it processes every third of this;
    a claim not renewed for this long belongs to a dead worker, and the sweep hands the photo on."""
    scratch_max_age_seconds: int = 3600
    """SCRATCH_MAX_AGE_SECONDS: a file in the scratch space (media_root/tmp) untouched for this long
    was left by a process that died (an upload in flight, a worker's copy); the sweep removes it."""
    log_format: str = "plain"
    """LOG_FORMAT: `plain` lines for a terminal, or `json` (one object per line) for a log collector."""
    mail: MailSettings = field(default_factory=MailSettings)
    storage_url: str = ""
    """STORAGE_URL: empty for files under media_root, s3://bucket?endpoint=... for a bucket
    (server/photos/storage_url.py)."""

    @property
    def is_sqlite(self) -> bool:
        return self.database.is_sqlite

    @property
    def demo(self) -> bool:
        """Whether `make run` loads the demo (admin/demo12345!) into an empty database."""
        return is_loopback(self.host) if self.demo_setting is None else self.demo_setting


def load_settings() -> Settings:
    """Build settings from the environment; raises SettingsError on bad values."""
    media = Path(_env("MEDIA_ROOT", "var/media"))
    secret = _env("SECRET_KEY", "")
    if secret and len(secret) < 16:
        raise SettingsError("SECRET_KEY must be at least 16 characters")
    redis_url = _env("REDIS_URL", "")
    if redis_url and urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"REDIS_URL must start with redis://, rediss:// or unix://, got {redis_url!r}")
    language = _env("DEFAULT_LANGUAGE", "zh_CN")
    if language not in ("zh_CN", "en"):
        raise SettingsError(f"DEFAULT_LANGUAGE must be zh_CN or en, got {language!r}")
    log_format = _env("LOG_FORMAT", "plain")
    if log_format not in ("plain", "json"):
        raise SettingsError(f"LOG_FORMAT must be plain or json, got {log_format!r}")
    storage_url = _env("STORAGE_URL", "")
    if storage_url:
        from server.photos.storage_url import parse_storage_url

        try:
            parse_storage_url(storage_url)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    return Settings(
        log_format=log_format,
        storage_url=storage_url,
        database=DatabaseSettings.parse(_env("DATABASE_URL", "sqlite:///var/app.db")),
        redis_url=redis_url,
        media_root=media if media.is_absolute() else PROJECT_ROOT / media,
        secret_key=secret or _local_secret_key(),
        base_url=_env("BASE_URL", f"http://{_env('HOST', '127.0.0.1')}:{_env('PORT', '8000')}").rstrip("/"),
        host=_env("HOST", "127.0.0.1"),
        port=_int("PORT", 8000, minimum=1),
        upload_max_bytes=_int("UPLOAD_MAX_BYTES", 25 * 1024 * 1024, minimum=1024),
        upload_max_pixels=_int("UPLOAD_MAX_PIXELS", 50_000_000, minimum=10_000),
        session_days=_int("SESSION_DAYS", 14, minimum=1),
        token_days=_int("TOKEN_DAYS", 30, minimum=1),
        login_max_failures_per_account=_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5, minimum=1),
        login_max_failures_per_client=_int("LOGIN_MAX_FAILURES_PER_CLIENT", 20, minimum=1),
        login_window_minutes=_int("LOGIN_WINDOW_MINUTES", 15, minimum=1),
        trusted_proxies=_addresses("TRUSTED_PROXIES"),
        default_language=language,
        rectify_days=_int("RECTIFY_DAYS", 7, minimum=1),
        urgent_rectify_days=_int("URGENT_RECTIFY_DAYS", 1, minimum=1),
        debug=_bool("DEBUG", False),
        demo_setting=_optional_bool("DEMO"),
        photo_sweep_seconds=_divisor_of_minute("PHOTO_SWEEP_SECONDS", 60),
        photo_claim_seconds=_int("PHOTO_CLAIM_SECONDS", 120, minimum=3),
        scratch_max_age_seconds=_int("SCRATCH_MAX_AGE_SECONDS", 3600, minimum=1),
        mail=MailSettings(
            host=_env("SMTP_HOST", ""),
            port=_int("SMTP_PORT", 25, minimum=1),
            user=_env("SMTP_USER", ""),
            password=_env("SMTP_PASSWORD", ""),
            sender=_env("MAIL_FROM", "noreply@localhost"),
            starttls=_bool("SMTP_STARTTLS", False),
        ),
    )


def _addresses(name: str) -> frozenset[str]:
    """A comma-separated list of IP addresses (each checked)."""
    import ipaddress

    found = set()
    for item in (part.strip() for part in _env(name, "").split(",")):
        if item:
            try:
                found.add(str(ipaddress.ip_address(item)))
            except ValueError:
                raise SettingsError(f"{name} must be IP addresses separated by commas, got {item!r}") from None
    return frozenset(found)


def _local_secret_key() -> str:
    """A random key kept in var/secret_key, so every process of one install
    (web workers and arq workers) signs with the same key across restarts."""
    path = PROJECT_ROOT / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x") as f:  # "x": the first process to start wins
                f.write(secrets.token_urlsafe(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    global _settings
    _settings = None
