"""Organiser and staff login: hashed passwords, safe cookies, rate-limited failures, CLI."""

from typing import Any

import pytest

from conference.accounts import service
from conference.accounts.models import Account
from conference.extensions import db
from tests.factories import PASSWORD


def test_password_is_stored_as_scrypt_hash(make: Any) -> None:
    account = make.account()
    assert account.password_hash.startswith("scrypt:")
    assert PASSWORD not in account.password_hash


def test_authenticate(session: Any, make: Any) -> None:
    account = make.account(email="Sam@Example.org")
    assert service.authenticate(session, email=" sam@example.ORG ", password=PASSWORD) == account
    assert service.authenticate(session, email="sam@example.org", password="wrong") is None
    assert service.authenticate(session, email="nobody@example.org", password=PASSWORD) is None


def test_weak_password_and_duplicate_email_are_refused(session: Any, make: Any) -> None:
    make.account(email="taken@example.org")
    with pytest.raises(service.AccountError) as weak:
        service.create_account(session, email="new@example.org", name="N", password="short")
    assert weak.value.code == "weak_password"
    with pytest.raises(service.AccountError) as taken:
        service.create_account(session, email="TAKEN@example.org", name="T", password=PASSWORD)
    assert taken.value.code == "email_taken"


def test_login_and_logout(client: Any, make: Any, auth: Any) -> None:
    account = make.account(name="Sam Organiser")
    response = auth.login(account)
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser"
    page = client.get("/organiser")
    assert page.status_code == 200
    assert b"My events" in page.data
    assert auth.logout().status_code == 302
    assert client.get("/organiser").status_code == 302


def test_login_follows_only_local_next(client: Any, make: Any) -> None:
    account = make.account()
    data = {"email": account.email, "password": PASSWORD}
    local = client.post("/login?next=/organiser/events/new", data=data)
    assert local.headers["Location"] == "/organiser/events/new"
    client.post("/logout")
    evil = client.post("/login?next=https://evil.example/", data=data)
    assert evil.headers["Location"] == "/organiser"


def test_wrong_password_gets_a_clear_message(client: Any, make: Any, auth: Any) -> None:
    account = make.account()
    response = auth.login(account, password="not the password")
    assert response.status_code == 401
    assert b"do not match an account" in response.data


def test_failed_logins_are_rate_limited(client: Any, make: Any, auth: Any) -> None:
    account = make.account()
    for _ in range(10):
        assert auth.login(account, password="wrong password").status_code == 401
    blocked = auth.login(account, password="wrong password")
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data
    # The right password is refused too while the limit holds: guessing gains nothing.
    assert auth.login(account).status_code == 429


def test_successful_logins_do_not_count_against_the_limit(
    client: Any, make: Any, auth: Any
) -> None:
    account = make.account()
    for _ in range(12):
        assert auth.login(account).status_code == 302
        auth.logout()


def test_session_cookie_flags(client: Any, make: Any, auth: Any) -> None:
    response = auth.login(make.account())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True}])
def test_session_cookie_is_secure_behind_https(client: Any, make: Any, auth: Any) -> None:
    # config.py turns this on whenever KNOWN_BASE_URL is https (see test_config).
    response = auth.login(make.account())
    assert "Secure" in response.headers["Set-Cookie"]


def test_create_organiser_command_reads_password_from_stdin(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-organiser", "Chair@Example.org", "--name", "Chair"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created organiser chair@example.org" in result.output
    account = db.session.query(Account).filter_by(email="chair@example.org").one()
    assert (
        service.authenticate(
            db.session, email="chair@example.org", password="a long enough password"
        )
        == account
    )


def test_create_organiser_command_refuses_short_password(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["create-organiser", "x@example.org"], input="abc\n")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
