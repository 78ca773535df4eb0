"""Attendee-facing pages: joining, magic-link login, my profile, my badge, my data."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from conference.accounts.views import register_user_loader
from conference.db import utcnow
from conference.events.access import event_or_404
from conference.events.models import Event
from conference.extensions import db, limiter, socketio
from conference.people import service
from conference.people.avatars import AvatarError
from conference.people.forms import (
    AttendeeForm,
    apply_domain_error,
    consents_from_form,
    fill_form_from_attendee,
    handle_field_name,
    handles_from_form,
    profile_from_form,
)
from conference.people.handles import PLATFORMS, HandleError, parse_handle
from conference.people.models import Attendee

bp = Blueprint("people", __name__)

# Features add a section to the attendee's home page ("12 people you follow are here", the
# hunt's open missions …) by registering a function that renders it, or returns None to skip.
HomeSection = Callable[[Event, Attendee], "Markup | str | None"]
HOME_SECTIONS: list[HomeSection] = []


def register_home_section(section: HomeSection) -> None:
    """Show ``section`` on every attendee's home page, in registration order."""
    if section not in HOME_SECTIONS:
        HOME_SECTIONS.append(section)


def _load_attendee(attendee_id: int) -> Attendee | None:
    attendee = db.session.get(Attendee, attendee_id)
    return attendee if attendee is not None and attendee.deleted_at is None else None


def init_app(app: Flask) -> None:
    """Let attendee sessions (``attendee:<id>``) be loaded by Flask-Login."""
    register_user_loader("attendee", _load_attendee)


@bp.app_context_processor
def attendee_context() -> dict[str, Any]:
    """The logged-in attendee's event, for the attendee navigation in the base layout."""
    if current_user.is_authenticated and getattr(current_user, "is_attendee", False):
        return {"attendee_event": db.session.get(Event, current_user.event_id)}
    return {"attendee_event": None}


def current_attendee(event: Event) -> Attendee | None:
    """The logged-in attendee if they belong to ``event``."""
    if (
        current_user.is_authenticated
        and getattr(current_user, "is_attendee", False)
        and current_user.event_id == event.id
    ):
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def require_attendee(slug: str) -> tuple[Event, Attendee]:
    """The event and the logged-in attendee of it; others are sent to the login page."""
    event = event_or_404(slug)
    attendee = current_attendee(event)
    if attendee is None:
        flash("Open your personal login link, or ask for a new one below.", "info")
        abort(redirect(url_for("people.request_link", slug=slug)))
    return event, attendee


def _log_in(attendee: Attendee) -> None:
    logout_user()
    # "Remember me" so a phone that closes its browser stays logged in for the event.
    login_user(attendee, remember=True)


# --- magic links --------------------------------------------------------------------------


@bp.get("/e/<slug>/login/<token>")
@limiter.limit("20 per minute")
def login_link(slug: str, token: str) -> Any:
    """Log an attendee in from their private link."""
    event = event_or_404(slug)
    try:
        attendee = service.login_with_link(db.session(), event=event, token=token, now=utcnow())
    except service.PeopleError as err:
        db.session.rollback()
        return render_template("people/link_problem.html", event=event, error=err), 400
    db.session.commit()
    _log_in(attendee)
    flash(f"Welcome, {attendee.name}! You are logged in on this phone.", "success")
    return redirect(url_for("people.home", slug=slug))


def _send_link_later(app: Flask, event_id: int, attendee_id: int) -> None:
    """Issue and e-mail a login link outside the request, so timing reveals nothing."""
    from conference import mail
    from conference.people.links import login_url

    with app.app_context():
        event = db.session.get(Event, event_id)
        attendee = db.session.get(Attendee, attendee_id)
        if event is None or attendee is None or not attendee.email:
            return
        token = service.issue_login_link(
            db.session(), attendee=attendee, event=event, now=utcnow(), purpose="mail"
        )
        link = service.default_link_expiry(event)
        message = mail.login_link_message(
            to_name=attendee.name,
            to_email=attendee.email,
            event_name=event.name,
            link=login_url(app.config["KNOWN_BASE_URL"], event.slug, token),
            expires_at=link,
            mail_from=app.config["KNOWN_MAIL_FROM"],
        )
        report = mail.send_messages(mail.parse_smtp_url(app.config["KNOWN_SMTP_URL"]), [message])
        if report.sent:
            db.session.commit()
        else:
            db.session.rollback()
            app.logger.warning("login link e-mail failed: %s", report.failed)
        db.session.remove()


@bp.route("/e/<slug>/login", methods=["GET", "POST"])
@limiter.limit("10 per 10 minutes", methods=["POST"])
def request_link(slug: str) -> Any:
    """ "E-mail me a new link": the answer never says whether the address is registered."""
    event = event_or_404(slug)
    if request.method == "POST":
        email = request.form.get("email", "")
        attendee = service.find_by_email(db.session(), event_id=event.id, email=email)
        if attendee is not None and current_app.config.get("KNOWN_SMTP_URL"):
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            socketio.start_background_task(_send_link_later, app, event.id, attendee.id)
        flash(
            "If this address is registered for this event, a login link is on its way. "
            "Nothing after a few minutes? Ask at the registration desk.",
            "success",
        )
        return redirect(url_for("people.request_link", slug=slug, sent=1))
    return render_template(
        "people/request_link.html",
        event=event,
        sent=bool(request.args.get("sent")),
        mail_enabled=bool(current_app.config.get("KNOWN_SMTP_URL")),
    )


# --- joining and my profile --------------------------------------------------------------


@bp.route("/e/<slug>/join", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"])
def join(slug: str) -> Any:
    """Self-registration by the event's join link, when the organiser opened it."""
    event = event_or_404(slug)
    if current_attendee(event) is not None:
        return redirect(url_for("people.home", slug=slug))
    if not event.registration_open:
        return render_template("people/join_closed.html", event=event), 403
    form = AttendeeForm()
    if form.validate_on_submit():
        try:
            attendee = service.create_attendee(
                db.session(),
                event=event,
                profile=profile_from_form(form),
                handles=handles_from_form(form),
                consents=consents_from_form(form),
                source="join",
            )
        except service.PeopleError as err:
            db.session.rollback()
            apply_domain_error(form, err)
        else:
            db.session.commit()
            _log_in(attendee)
            flash(f"Welcome to {event.name}, {attendee.name}! You are registered.", "success")
            return redirect(url_for("people.home", slug=slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("people/join.html", event=event, form=form), status


@bp.route("/e/<slug>/me/profile", methods=["GET", "POST"])
def profile(slug: str) -> Any:
    """My profile: details, handles with live validation, consents."""
    event, attendee = require_attendee(slug)
    form = AttendeeForm()
    if request.method == "GET":
        fill_form_from_attendee(form, attendee)
        # Attendees see their full profile links, which they can open to check.
        for handle in attendee.handles:
            getattr(form, handle_field_name(handle.platform)).data = handle.url
    elif form.validate_on_submit():
        try:
            service.update_attendee(
                db.session(),
                attendee=attendee,
                profile=profile_from_form(form),
                handles=handles_from_form(form),
                consents=consents_from_form(form),
            )
        except service.PeopleError as err:
            db.session.rollback()
            apply_domain_error(form, err)
        else:
            db.session.commit()
            flash("Profile saved.", "success")
            return redirect(url_for("people.profile", slug=slug))
    status = 422 if form.errors or form.form_errors else 200
    has_avatar = service.avatar_of(db.session(), attendee.id) is not None
    return render_template(
        "people/profile.html", event=event, attendee=attendee, form=form, has_avatar=has_avatar
    ), status


@bp.post("/e/<slug>/me/avatar")
def upload_avatar(slug: str) -> Any:
    """Upload (or remove) my avatar."""
    _, attendee = require_attendee(slug)
    if request.form.get("remove"):
        service.remove_avatar(db.session(), attendee=attendee)
        db.session.commit()
        flash("Picture removed.", "success")
        return redirect(url_for("people.profile", slug=slug))
    upload = request.files.get("avatar")
    try:
        service.set_avatar(
            db.session(), attendee=attendee, upload=upload.read() if upload else b"", now=utcnow()
        )
    except AvatarError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash("Picture saved.", "success")
    return redirect(url_for("people.profile", slug=slug))


# --- attendee pages -----------------------------------------------------------------------


@bp.get("/e/<slug>/me")
def home(slug: str) -> str:
    """The attendee's home at the event."""
    event, attendee = require_attendee(slug)
    sections = [html for section in HOME_SECTIONS if (html := section(event, attendee))]
    return render_template(
        "people/home.html",
        event=event,
        attendee=attendee,
        # Each section is a template our own features rendered, with autoescaping on.
        sections=[Markup(h) for h in sections],  # noqa: S704
    )


@bp.get("/e/<slug>/me/badge")
def my_badge(slug: str) -> str:
    """My badge: the QR large enough for another phone to scan."""
    from conference.badges import service as badges

    event, attendee = require_attendee(slug)
    badge = badges.ensure_badge(db.session(), attendee=attendee, now=utcnow())
    db.session.commit()
    url = badges.badge_url(current_app.config["KNOWN_BASE_URL"], badge.token)
    return render_template(
        "people/badge.html", event=event, attendee=attendee, badge=badge, badge_url=url
    )


@bp.get("/e/<slug>/me/avatar")
def my_avatar(slug: str) -> Response:
    """My own avatar image."""
    _, attendee = require_attendee(slug)
    avatar = service.avatar_of(db.session(), attendee.id)
    if avatar is None:
        abort(404)
    response = Response(avatar.image, mimetype=avatar.content_type)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/e/<slug>/me/data")
def my_data(slug: str) -> str:
    """My data: download it, or delete my profile."""
    event, attendee = require_attendee(slug)
    return render_template("people/data.html", event=event, attendee=attendee)


@bp.get("/e/<slug>/me/data.json")
def my_data_json(slug: str) -> Response:
    """Everything Known holds about me, as a JSON download."""
    event, attendee = require_attendee(slug)
    data = {"event": {"name": event.name, "slug": event.slug}} | service.export_data(
        db.session(), attendee=attendee
    )
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="known-{event.slug}-my-data.json"'},
    )


@bp.post("/e/<slug>/me/delete")
def delete_me(slug: str) -> Any:
    """Delete my profile: personal data gone, points kept anonymously."""
    event, attendee = require_attendee(slug)
    if request.form.get("confirm") != "DELETE":
        flash("Type DELETE in capitals to confirm.", "error")
        return redirect(url_for("people.my_data", slug=slug))
    service.delete_profile(db.session(), attendee=attendee, now=utcnow())
    db.session.commit()
    logout_user()
    flash("Your profile is deleted. Thank you for coming.", "success")
    return redirect(url_for("events.public", slug=event.slug))


# --- live handle validation ---------------------------------------------------------------


@bp.get("/api/handles/check")
@limiter.limit("120 per minute")
def check_handle() -> Response:
    """Validate one handle as the attendee types (JSON)."""
    platform = request.args.get("platform") or None
    value = request.args.get("value", "")
    if platform is not None and platform not in PLATFORMS:
        return jsonify({"ok": False, "message": "Unknown platform."})
    if not value.strip():
        return jsonify({"ok": True, "empty": True})
    try:
        handle = parse_handle(value, platform)
    except HandleError as err:
        return jsonify({"ok": False, "message": err.message})
    return jsonify(
        {"ok": True, "platform": handle.platform, "display": handle.display, "url": handle.url}
    )
