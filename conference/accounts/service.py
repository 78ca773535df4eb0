"""Accounts: creating them and checking passwords."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from conference.accounts.models import Account
from conference.errors import DomainError

MIN_PASSWORD_LENGTH = 10
# werkzeug's scrypt defaults (n=2**15, r=8, p=1); the test suite lowers the cost for speed.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a password)
# A real hash of a random password: verifying against it when the e-mail is unknown keeps
# the response time the same, so timing does not reveal which addresses have accounts.
_DUMMY_HASH = generate_password_hash("not-a-password-Known-dummy")


class AccountError(DomainError):
    """An account could not be created or changed."""


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    """Raise ``weak_password`` unless the password is long enough to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "weak_password", f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
        )


def find_account(session: Session, email: str) -> Account | None:
    """The account with this e-mail address, if any."""
    return session.scalar(sa.select(Account).where(Account.email == normalise_email(email)))


def create_account(session: Session, *, email: str, name: str, password: str) -> Account:
    """Create an account; raises ``email_taken`` or ``weak_password``."""
    check_password_strength(password)
    if find_account(session, email) is not None:
        raise AccountError("email_taken", "An account with this e-mail address already exists.")
    account = Account(
        email=normalise_email(email),
        name=name.strip() or normalise_email(email).split("@")[0],
        password_hash=generate_password_hash(password, method=PASSWORD_HASH_METHOD),
    )
    session.add(account)
    session.flush()
    return account


def set_password(account: Account, password: str) -> None:
    """Replace the account's password."""
    check_password_strength(password)
    account.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def authenticate(session: Session, *, email: str, password: str) -> Account | None:
    """The active account matching the credentials, or None."""
    account = find_account(session, email)
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(account.password_hash, password) or not account.is_active:
        return None
    return account
