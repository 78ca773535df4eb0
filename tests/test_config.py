"""Configuration comes from KNOWN_* variables only, with safe defaults."""

from pathlib import Path

import pytest

from conference.config import ConfigError, load_settings


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KNOWN_SECRET_KEY is required"):
        load_settings({"KNOWN_ENV": "production", "KNOWN_INSTANCE_DIR": str(tmp_path)})


def test_production_refuses_short_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings({"KNOWN_ENV": "production", "KNOWN_SECRET_KEY": "short"})


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"KNOWN_INSTANCE_DIR": str(tmp_path)})
    second = load_settings({"KNOWN_INSTANCE_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 64
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_the_local_sqlite_file_and_one_process(tmp_path: Path) -> None:
    settings = load_settings({"KNOWN_INSTANCE_DIR": str(tmp_path), "KNOWN_SECRET_KEY": "k" * 40})
    assert settings.database_url == f"sqlite:///{tmp_path / 'known.db'}"
    assert settings.message_queue is None
    assert settings.base_url == "http://127.0.0.1:5000"
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is False


def test_https_base_url_makes_cookies_secure() -> None:
    settings = load_settings(
        {"KNOWN_SECRET_KEY": "k" * 40, "KNOWN_BASE_URL": "https://known.example.org/"}
    )
    conf = settings.flask_config()
    assert settings.base_url == "https://known.example.org"
    assert conf["SESSION_COOKIE_SECURE"] is True
    assert conf["SESSION_COOKIE_HTTPONLY"] is True
    assert conf["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_host_port_and_queue_are_read() -> None:
    settings = load_settings(
        {
            "KNOWN_SECRET_KEY": "k" * 40,
            "KNOWN_HOST": "0.0.0.0",
            "KNOWN_PORT": "8080",
            "KNOWN_MESSAGE_QUEUE": "redis://127.0.0.1:6379/0",
            "KNOWN_DATABASE_URL": "postgresql+psycopg://known@db/known",
        }
    )
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert settings.message_queue == "redis://127.0.0.1:6379/0"
    assert settings.ratelimit_storage == "redis://127.0.0.1:6379/0"
    assert settings.flask_config()["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 10


def test_bad_base_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="KNOWN_BASE_URL"):
        load_settings({"KNOWN_SECRET_KEY": "k" * 40, "KNOWN_BASE_URL": "known.example.org"})
