"""Configuration: the only module that reads the environment (``KNOWN_*`` variables)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The environment does not describe a configuration Known can start with."""


def _secret_key_from_instance(instance_dir: Path) -> str:
    """Return the development secret kept in ``instance/``, creating it once."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with mode 0600 so other local users cannot read the session key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    """Typed view of the ``KNOWN_*`` environment variables."""

    env: str
    database_url: str
    secret_key: str
    base_url: str
    message_queue: str | None
    smtp_url: str | None
    mail_from: str
    host: str
    port: int
    ratelimit_storage: str
    db_pool_size: int
    demo_password: str | None
    queue_channel: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure whenever the public base URL is https."""
        return self.base_url.startswith("https://")

    def flask_config(self) -> dict[str, Any]:
        """The Flask ``app.config`` mapping derived from these settings."""
        engine_options: dict[str, Any] = {"pool_pre_ping": True}
        if self.database_url.startswith("postgresql"):
            engine_options.update(pool_size=self.db_pool_size, max_overflow=self.db_pool_size)
        conf: dict[str, Any] = {
            "KNOWN_ENV": self.env,
            "TESTING": self.env == "testing",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "KNOWN_BASE_URL": self.base_url,
            "KNOWN_MESSAGE_QUEUE": self.message_queue,
            "KNOWN_QUEUE_CHANNEL": self.queue_channel,
            "KNOWN_SMTP_URL": self.smtp_url,
            "KNOWN_MAIL_FROM": self.mail_from,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "SESSION_COOKIE_NAME": "known_session",
            "PREFERRED_URL_SCHEME": urlsplit(self.base_url).scheme or "http",
            "WTF_CSRF_TIME_LIMIT": None,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage,
            "RATELIMIT_HEADERS_ENABLED": True,
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
            "KNOWN_DEMO_PASSWORD": self.demo_password,
            "KNOWN_HOST": self.host,
            "KNOWN_PORT": self.port,
        }
        conf.update(self.extra)
        return conf


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: the process environment)."""
    env_vars = dict(os.environ if environ is None else environ)
    env = env_vars.get("KNOWN_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"KNOWN_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    instance_dir = Path(env_vars.get("KNOWN_INSTANCE_DIR", str(INSTANCE_DIR)))

    secret_key = env_vars.get("KNOWN_SECRET_KEY", "")
    if not secret_key:
        if env == "production":
            raise ConfigError(
                "KNOWN_SECRET_KEY is required in production: set it to a long random string, "
                "for example from `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        secret_key = _secret_key_from_instance(instance_dir)
    elif env == "production" and len(secret_key) < 32:
        raise ConfigError("KNOWN_SECRET_KEY must be at least 32 characters in production.")

    host = env_vars.get("KNOWN_HOST", "127.0.0.1")
    port = int(env_vars.get("KNOWN_PORT", "5000"))
    base_url = env_vars.get("KNOWN_BASE_URL", f"http://{host}:{port}").rstrip("/")
    if urlsplit(base_url).scheme not in ("http", "https"):
        raise ConfigError(f"KNOWN_BASE_URL must start with http:// or https://, not {base_url!r}")

    database_url = env_vars.get("KNOWN_DATABASE_URL") or f"sqlite:///{instance_dir / 'known.db'}"
    message_queue = env_vars.get("KNOWN_MESSAGE_QUEUE") or None
    ratelimit_storage = env_vars.get("KNOWN_RATELIMIT_STORAGE") or message_queue or "memory://"
    return Settings(
        env=env,
        database_url=database_url,
        secret_key=secret_key,
        base_url=base_url,
        message_queue=message_queue,
        smtp_url=env_vars.get("KNOWN_SMTP_URL") or None,
        mail_from=env_vars.get("KNOWN_MAIL_FROM", "Known <known@localhost>"),
        host=host,
        port=port,
        ratelimit_storage=ratelimit_storage,
        db_pool_size=int(env_vars.get("KNOWN_DB_POOL_SIZE", "10")),
        demo_password=env_vars.get("KNOWN_DEMO_PASSWORD") or None,
        queue_channel=env_vars.get("KNOWN_QUEUE_CHANNEL") or "known",
    )
