"""Organiser dashboard, event settings, team invites and the public event page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from conference.accounts.forms import NewAccountForm
from conference.accounts.models import Account
from conference.db import utcnow
from conference.errors import DomainError
from conference.events import service
from conference.events.access import (
    current_account_id,
    event_or_404,
    require_account,
    require_organiser,
    require_team,
)
from conference.events.forms import EventForm, InviteForm
from conference.events.models import ORGANISER
from conference.extensions import db, limiter

bp = Blueprint("events", __name__)


def _fields(form: EventForm) -> service.EventFields:
    return service.EventFields(
        name=form.name.data or "",
        slug=(form.slug.data or "").strip().lower(),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        timezone=form.timezone.data or "UTC",
        venue=form.venue.data or "",
        description=form.description.data or "",
        registration_open=bool(form.registration_open.data),
    )


def _account() -> Account:
    account = db.session.get(Account, require_account())
    assert account is not None
    return account


@bp.get("/")
def index() -> Any:
    """The start page; organisers and staff go straight to their dashboard."""
    if current_account_id() is not None:
        return redirect(url_for("events.dashboard"))
    return render_template("events/index.html")


@bp.get("/organiser")
def dashboard() -> str:
    """The events the logged-in account organises or staffs."""
    account = _account()
    return render_template("events/dashboard.html", events=service.events_of(db.session(), account))


@bp.route("/organiser/events/new", methods=["GET", "POST"])
def create() -> Any:
    """Create an event."""
    account = _account()
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = service.create_event(db.session(), organiser=account, fields=_fields(form))
        except DomainError as err:
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash(f"“{event.name}” is created. Its public page is /e/{event.slug}.", "success")
            return redirect(url_for("events.overview", slug=event.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("events/form.html", form=form, event=None), status


@bp.get("/organiser/events/<slug>")
def overview(slug: str) -> str:
    """An event's home for its team."""
    event = require_team(slug)
    role = service.role_in(db.session(), account_id=int(current_user.id), event_id=event.id)
    return render_template("events/overview.html", event=event, role=role)


@bp.route("/organiser/events/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str) -> Any:
    """Change an event's settings."""
    event = require_organiser(slug)
    form = EventForm(obj=event)
    if form.validate_on_submit():
        try:
            service.update_event(db.session(), event=event, fields=_fields(form))
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("events.overview", slug=event.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("events/form.html", form=form, event=event), status


@bp.route("/organiser/events/<slug>/team", methods=["GET", "POST"])
def team(slug: str) -> Any:
    """The event's organisers and staff; invite someone with a single-use link."""
    event = require_organiser(slug)
    form = InviteForm()
    invite_url = None
    if form.validate_on_submit():
        _, token = service.create_invite(
            db.session(),
            event=event,
            created_by=_account(),
            now=utcnow(),
            role=form.role.data or "staff",
            note=form.note.data or "",
        )
        db.session.commit()
        invite_url = url_for("events.accept_invite", token=token, _external=True)
        flash("Invite link created. Send it to one person: it works once, for 7 days.", "success")
    members = service.team_of(db.session(), event)
    return render_template(
        "events/team.html", event=event, form=form, members=members, invite_url=invite_url
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def accept_invite(token: str) -> Any:
    """Join an event's team from an invite link, with a new or the current account."""
    invite = service.open_invite(db.session(), token=token, now=utcnow())
    account_id = current_account_id()
    form = NewAccountForm()
    if account_id is not None:
        # CSRFProtect has already checked the token of every POST.
        if request.method == "POST":
            account = db.session.get(Account, account_id)
            service.accept_invite(db.session(), token=token, now=utcnow(), account=account)
            db.session.commit()
            flash(f"You joined the team of {invite.event.name}.", "success")
            return redirect(url_for("events.overview", slug=invite.event.slug))
        return render_template("events/invite.html", invite=invite, form=form, logged_in=True)
    if form.validate_on_submit():
        try:
            account = service.accept_invite(
                db.session(),
                token=token,
                now=utcnow(),
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
            )
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            login_user(account)
            flash(f"Welcome to the team of {invite.event.name}.", "success")
            return redirect(url_for("events.overview", slug=invite.event.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("events/invite.html", invite=invite, form=form, logged_in=False), status


@bp.get("/e/<slug>")
def public(slug: str) -> str:
    """The event's public home page."""
    event = event_or_404(slug)
    return render_template("events/public.html", event=event, organiser_role=ORGANISER)
