"""Settings, read from the environment with embedded defaults.

Nothing is required in development: SQLite under ``instance/``, jobs inline, mail to
files. ``KOEPEL_ENV=production`` demands a real SECRET_KEY and turns on secure cookies.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    pass


def _secret_key(instance: Path, env: str) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set in production")
    # Development: a random key kept in instance/ so sessions survive a restart.
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{instance / 'koepel.db'}"
    if url.startswith("postgres://"):  # the form many hosts hand out
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load(instance: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    env = overrides.get("KOEPEL_ENV") or os.environ.get("KOEPEL_ENV", "development")
    instance.mkdir(parents=True, exist_ok=True)
    production = env == "production"
    cfg: dict[str, Any] = {
        "KOEPEL_ENV": env,
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance, env),
        "SQLALCHEMY_DATABASE_URI": database_url(instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE": os.environ.get("RQ_QUEUE", "koepel"),
        # Mail
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if production else "file"),
        "MAIL_FOLDER": os.environ.get("MAIL_FOLDER", str(instance / "mail")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Koepel <noreply@koepel.local>"),
        "MAIL_DOMAIN": os.environ.get("MAIL_DOMAIN", "koepel.local"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "1") == "1",
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Requests and sessions
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "koepel_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # slow typists must not lose a long form
        "PROXY_FIX": os.environ.get("PROXY_FIX", "0") == "1",
        # Accounts
        "ARGON2_PARAMETERS": None,  # argon2-cffi's defaults (RFC 9106)
        # Seals bid content until the opening. Production: set it (and keep it: bids sealed
        # under a lost key cannot be opened); development derives one from SECRET_KEY.
        "SEALING_KEY": os.environ.get("SEALING_KEY") or None,
        # OCDS identifiers: a deployment registers its own prefix with the Open Contracting
        # Partnership ("ocds-" + 6 characters); the default marks data as unregistered.
        "OCDS_OCID_PREFIX": os.environ.get("OCDS_OCID_PREFIX") or "ocds-koepel",
        "OPENING_CONFIRM_WINDOW": timedelta(hours=2),  # four eyes: the second within this
        "LOGIN_THROTTLE_ATTEMPTS": 5,
        "LOGIN_THROTTLE_WINDOW": timedelta(minutes=15),
        "RESET_TOKEN_MAX_AGE": 2 * 3600,
        "INVITATION_VALID_FOR": timedelta(days=14),
        # Language and time: Dutch first
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        "LANGUAGES": ("nl", "en"),
        # API (flask-smorest)
        "API_TITLE": "Koepel API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
        "DEV_PAGES": not production,  # the development mail viewer
    }
    cfg.update(overrides)
    if production and not cfg.get("SEALING_KEY"):
        raise ConfigError("SEALING_KEY must be set in production (see `koepel` README, Settings)")
    return cfg
