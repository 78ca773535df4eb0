"""Logging organisers and staff in and out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from conference.accounts import service
from conference.accounts.forms import LoginForm
from conference.accounts.models import Account
from conference.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)

# Flask-Login keeps one id per session; its prefix says what kind of user it is. Features
# that add a kind of user (attendees, in ``people``) register a loader for their prefix.
UserLoader = Callable[[int], Any]
_loaders: dict[str, UserLoader] = {}


def register_user_loader(kind: str, loader: UserLoader) -> None:
    """Let ``kind:<id>`` session ids be loaded by ``loader``."""
    _loaders[kind] = loader


def _load_user(user_id: str) -> Any:
    kind, _, raw_id = user_id.partition(":")
    loader = _loaders.get(kind)
    if loader is None or not raw_id.isdigit():
        return None
    return loader(int(raw_id))


def _load_account(account_id: int) -> Account | None:
    account = db.session.get(Account, account_id)
    return account if account is not None and account.is_active else None


def init_app(app: Flask) -> None:
    """Wire Flask-Login to the user loaders."""
    register_user_loader("account", _load_account)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized() -> Any:
    if request.path.startswith("/api/"):
        # A Response (not a tuple) so that callers can ``abort()`` with it.
        response = jsonify({"ok": False, "error": "login_required", "message": "Log in first."})
        response.status_code = 401
        return response
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str) -> str:
    """Only follow ``next`` to a path on this site (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _failed_login(response: Response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per 5 minutes", methods=["POST"], deduct_when=_failed_login)
def login() -> Any:
    """Log an organiser or staff member in."""
    if current_user.is_authenticated and not getattr(current_user, "is_attendee", False):
        return redirect(url_for("events.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        account = service.authenticate(
            db.session(), email=form.email.data or "", password=form.password.data or ""
        )
        if account is not None:
            login_user(account)
            flash(f"Welcome back, {account.name}.", "success")
            return redirect(safe_next(request.args.get("next"), url_for("events.dashboard")))
        flash("That e-mail and password do not match an account.", "error")
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out and go back to the start page."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(safe_next(request.form.get("next"), url_for("events.index")))
