"""The organiser's attendee list: search, edit, exports, login links by CSV, e-mail and desk QR.

Everything here is for the event's organisers, except the login QR, which the registration desk
(staff) shows too. Staff get their own check-in search elsewhere.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from math import ceil
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.routing import BuildError

from conference import mail
from conference.badges.rendering import qr_png, qr_svg
from conference.csv_export import csv_response
from conference.db import utcnow
from conference.events.access import require_organiser, require_team
from conference.events.models import Event
from conference.extensions import db
from conference.people import links, service
from conference.people.forms import (
    AttendeeForm,
    apply_domain_error,
    consents_from_form,
    fill_form_from_attendee,
    handle_fields,
    handles_from_form,
    profile_from_form,
)
from conference.people.handles import PLATFORMS

bp = Blueprint("people_admin", __name__)

PER_PAGE = 50
CONSENT_CHOICES = (
    ("", "Any consent"),
    ("card", "Card shown"),
    ("game", "Plays games"),
    ("leaderboard", "On leaderboards"),
    ("none", "No consent"),
)
HANDLE_CHOICES = (("", "Any"), ("yes", "Has handles"), ("no", "No handles"))
MAX_FAILURES_SHOWN = 10


# --- helpers ------------------------------------------------------------------------------


def _filter(values: Mapping[str, str]) -> service.AttendeeFilter:
    """The list's search and filters from query or form values; unknown values mean "any"."""
    consent = values.get("consent", "")
    has_handles = values.get("has_handles", "")
    return service.AttendeeFilter(
        q=values.get("q", "").strip()[:200],
        consent=consent if consent in dict(CONSENT_CHOICES) else "",
        has_handles=has_handles if has_handles in dict(HANDLE_CHOICES) else "",
    )


def _filter_args(flt: service.AttendeeFilter) -> dict[str, Any]:
    """The non-empty filter values, for links and hidden form fields."""
    values = {"q": flt.q, "consent": flt.consent, "has_handles": flt.has_handles}
    return {key: value for key, value in values.items() if value}


def _url(endpoint: str, fallback: str, **values: Any) -> str:
    """``url_for(endpoint)``, or ``fallback`` while the feature behind it is not built yet."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return fallback


def _badges_url(event: Event, **query: str) -> str:
    """The printable badge sheet of the event (built by the badges feature)."""
    path = f"/organiser/events/{event.slug}/badges"
    return f"{path}?{urlencode(query)}" if query else path


def _list_url(event: Event, flt: service.AttendeeFilter) -> str:
    return url_for("people_admin.attendees", slug=event.slug, **_filter_args(flt))


def _safe_next(value: str | None, default: str) -> str:
    """A same-site path to go back to; anything else (``//evil``, ``https://…``) -> default."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def _no_store(response: Response) -> Response:
    # Login links and QRs are credentials: no browser or proxy cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the list -----------------------------------------------------------------------------


@bp.get("/organiser/events/<slug>/attendees")
def attendees(slug: str) -> Any:
    """Search, filter and page through the event's attendees."""
    event = require_organiser(slug)
    flt = _filter(request.args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = service.search_attendees(
        db.session(), event_id=event.id, flt=flt, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    pages = max(1, ceil(total / PER_PAGE))
    if page > pages:
        return redirect(
            url_for("people_admin.attendees", slug=slug, page=pages, **_filter_args(flt))
        )
    filtered = bool(_filter_args(flt))
    event_total = service.count_attendees(db.session(), event_id=event.id) if filtered else total
    return render_template(
        "people/organiser/list.html",
        event=event,
        rows=rows,
        total=total,
        event_total=event_total,
        page=page,
        pages=pages,
        per_page=PER_PAGE,
        flt=flt,
        filter_args=_filter_args(flt),
        filtered=filtered,
        consent_choices=CONSENT_CHOICES,
        handle_choices=HANDLE_CHOICES,
        import_url=_url(
            "people_import.upload",
            f"/organiser/events/{event.slug}/attendees/import",
            slug=event.slug,
        ),
        badges_url=_badges_url(event),
        badges_filter_url=_badges_url(event, **_filter_args(flt)),
        mail_enabled=bool(current_app.config.get("KNOWN_SMTP_URL")),
    )


# --- add and edit -------------------------------------------------------------------------


def _render_form(event: Event, form: AttendeeForm, attendee: Any = None) -> Any:
    status = 422 if form.errors or form.form_errors else 200
    badge_paths = {}
    if attendee is not None:
        base = f"/organiser/events/{event.slug}/attendees/{attendee.id}"
        badge_paths = {"revoke": f"{base}/revoke-badge", "pdf": f"{base}/badge.pdf"}
    return render_template(
        "people/organiser/form.html",
        event=event,
        form=form,
        attendee=attendee,
        handle_fields=handle_fields(form),
        badge_paths=badge_paths,
    ), status


@bp.route("/organiser/events/<slug>/attendees/new", methods=["GET", "POST"])
def new_attendee(slug: str) -> Any:
    """Add an attendee by hand (a walk-in, or someone missing from the import)."""
    event = require_organiser(slug)
    form = AttendeeForm()
    if form.validate_on_submit():
        try:
            attendee = service.create_attendee(
                db.session(),
                event=event,
                profile=profile_from_form(form),
                handles=handles_from_form(form),
                consents=consents_from_form(form),
                source="organiser",
            )
        except service.PeopleError as err:
            db.session.rollback()
            apply_domain_error(form, err)
        else:
            db.session.commit()
            flash(f"Added {attendee.name}. Print their badge or show a login QR below.", "success")
            return redirect(
                url_for("people_admin.edit_attendee", slug=slug, attendee_id=attendee.id)
            )
    return _render_form(event, form)


@bp.route("/organiser/events/<slug>/attendees/<int:attendee_id>/edit", methods=["GET", "POST"])
def edit_attendee(slug: str, attendee_id: int) -> Any:
    """Change an attendee's profile, handles and recorded consents."""
    event = require_organiser(slug)
    attendee = service.get_attendee(db.session(), event_id=event.id, attendee_id=attendee_id)
    form = AttendeeForm()
    if request.method == "GET":
        fill_form_from_attendee(form, attendee)
    if form.validate_on_submit():
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
            flash(f"Saved the changes to {attendee.name}.", "success")
            return redirect(url_for("people_admin.attendees", slug=slug))
    return _render_form(event, form, attendee)


@bp.post("/organiser/events/<slug>/attendees/<int:attendee_id>/withdraw-links")
def withdraw_links(slug: str, attendee_id: int) -> Any:
    """Withdraw every login link of an attendee (a lost phone, a forwarded e-mail)."""
    event = require_organiser(slug)
    attendee = service.get_attendee(db.session(), event_id=event.id, attendee_id=attendee_id)
    count = service.revoke_login_links(db.session(), attendee=attendee, now=utcnow())
    db.session.commit()
    if count:
        noun = "link" if count == 1 else "links"
        flash(
            f"Withdrew {count} login {noun} of {attendee.name}. Phones already logged in stay "
            "logged in; old e-mails, CSV links and QR codes no longer work.",
            "success",
        )
    else:
        flash(f"{attendee.name} had no working login links.", "info")
    return redirect(url_for("people_admin.edit_attendee", slug=slug, attendee_id=attendee.id))


# --- the desk's login QR ------------------------------------------------------------------


@bp.post("/organiser/events/<slug>/attendees/<int:attendee_id>/login-qr")
def login_qr(slug: str, attendee_id: int) -> Any:
    """A one-hour login link as a big QR, for the attendee to scan at the registration desk."""
    event = require_team(slug)
    attendee = service.get_attendee(db.session(), event_id=event.id, attendee_id=attendee_id)
    issued = links.issue_desk_link(db.session(), event=event, attendee=attendee, now=utcnow())
    db.session.commit()
    url = links.login_url(current_app.config["KNOWN_BASE_URL"], event.slug, issued.token)
    if request.args.get("format") == "png":
        return _no_store(Response(qr_png(url), mimetype="image/png"))
    svg = base64.b64encode(qr_svg(url).encode()).decode("ascii")
    back = _safe_next(request.form.get("next"), url_for("events.overview", slug=event.slug))
    page = render_template(
        "people/organiser/login_qr.html",
        event=event,
        attendee=attendee,
        qr_data_uri=f"data:image/svg+xml;base64,{svg}",
        expires_at=issued.expires_at.astimezone(ZoneInfo(event.timezone)),
        lifetime_minutes=int(links.DESK_LINK_LIFETIME.total_seconds() // 60),
        back=back,
    )
    return _no_store(Response(page))


# --- exports and login links for many -----------------------------------------------------


@bp.get("/organiser/events/<slug>/attendees/export.csv")
def export_csv(slug: str) -> Response:
    """The attendees matching the list's filter as a CSV file."""
    event = require_organiser(slug)
    flt = _filter(request.args)
    zone = ZoneInfo(event.timezone)
    header = [
        "name",
        "email",
        "company",
        "job_title",
        "pronouns",
        *PLATFORMS,
        "consent_card",
        "consent_game",
        "consent_leaderboard",
        "registered_at",
    ]

    def rows() -> Iterator[list[object]]:
        for attendee in service.iter_attendees(db.session(), event_id=event.id, flt=flt):
            urls = {h.platform: h.url for h in attendee.handles}
            yield [
                attendee.name,
                attendee.email,
                attendee.company,
                attendee.job_title,
                attendee.pronouns,
                *(urls.get(platform, "") for platform in PLATFORMS),
                "yes" if attendee.consent_card else "no",
                "yes" if attendee.consent_game else "no",
                "yes" if attendee.consent_leaderboard else "no",
                attendee.created_at.astimezone(zone).isoformat(timespec="seconds"),
            ]

    return csv_response(f"{event.slug}-attendees.csv", header, rows())


@bp.post("/organiser/events/<slug>/attendees/links.csv")
def links_csv(slug: str) -> Any:
    """New personal login links for the filtered attendees, as a CSV for a mail merge."""
    event = require_organiser(slug)
    flt = _filter(request.form)
    issued = links.issue_links(db.session(), event=event, flt=flt, now=utcnow(), purpose="csv")
    if not issued:
        flash("No attendee with an e-mail address matches: no links were created.", "info")
        return redirect(_list_url(event, flt))
    base = current_app.config["KNOWN_BASE_URL"]
    rows = [
        (
            link.attendee.name,
            link.attendee.email,
            link.attendee.company,
            links.login_url(base, event.slug, link.token),
            link.expires_at.strftime("%Y-%m-%d %H:%M %Z"),
        )
        for link in issued
    ]
    db.session.commit()
    return csv_response(
        f"{event.slug}-login-links.csv",
        ["name", "email", "company", "login_link", "expires_at"],
        rows,
    )


@bp.post("/organiser/events/<slug>/attendees/send-links")
def send_links(slug: str) -> Any:
    """E-mail a new personal login link to each filtered attendee, over one SMTP connection."""
    event = require_organiser(slug)
    flt = _filter(request.form)
    back = redirect(_list_url(event, flt))
    smtp_url = current_app.config.get("KNOWN_SMTP_URL")
    if not smtp_url:
        flash("Set KNOWN_SMTP_URL to send e-mail.", "error")
        return back
    try:
        settings = mail.parse_smtp_url(smtp_url)
    except mail.MailConfigError as err:
        flash(str(err), "error")
        return back
    issued = links.issue_links(db.session(), event=event, flt=flt, now=utcnow(), purpose="mail")
    if not issued:
        flash("No attendee with an e-mail address matches: nothing was sent.", "info")
        return back
    base = current_app.config["KNOWN_BASE_URL"]
    messages = [
        mail.login_link_message(
            to_name=link.attendee.name,
            to_email=link.attendee.email or "",
            event_name=event.name,
            link=links.login_url(base, event.slug, link.token),
            expires_at=link.expires_at,
            mail_from=current_app.config["KNOWN_MAIL_FROM"],
        )
        for link in issued
    ]
    # Commit before sending: a mail must never carry a link the database does not hold,
    # while a link whose mail bounced is harmless (it is unknown to anyone).
    db.session.commit()
    report = mail.send_messages(settings, messages)
    if report.sent:
        noun = "e-mail" if report.sent == 1 else "e-mails"
        flash(f"Sent {report.sent} {noun} with personal login links.", "success")
    if report.failed:
        shown = "; ".join(
            f"{email} ({reason})" for email, reason in report.failed[:MAX_FAILURES_SHOWN]
        )
        more = len(report.failed) - MAX_FAILURES_SHOWN
        tail = f"; and {more} more" if more > 0 else ""
        flash(f"Could not send {len(report.failed)}: {shown}{tail}.", "error")
    return back
