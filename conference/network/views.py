"""Attendee pages of the network: who I know online, the meeting card, my people and downloads.

The badge opener lives here too: an attendee of the same event opening someone else's badge
URL records a meeting and sees the "how you know each other" card (see ``conference.badges``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue

from conference.badges.service import BadgeLookup
from conference.badges.views import BadgeViewer, register_badge_opener
from conference.csv_export import content_disposition, csv_response
from conference.db import utcnow
from conference.events.models import Event
from conference.extensions import db
from conference.network import follows, service
from conference.network.forms import FollowForm, NoteForm
from conference.network.vcard import Contact, vcards
from conference.people import service as people
from conference.people.models import Attendee
from conference.people.views import register_home_section, require_attendee

bp = Blueprint("network", __name__)

PRIVATE = "private, no-cache"
HOME_AVATARS = 5


def init_app(app: Flask) -> None:
    """Plug the network into badges, the attendee home page and "my data"."""
    register_badge_opener(meeting_opener)
    register_home_section(home_section)
    if service.export_attendee not in people.DATA_EXPORTERS:
        people.DATA_EXPORTERS.append(service.export_attendee)
    if service.erase_attendee not in people.DATA_ERASERS:
        people.DATA_ERASERS.append(service.erase_attendee)


# --- helpers ----------------------------------------------------------------------------------


class EventClock:
    """Times as the attendee reads them: in the event's time zone, the day only when not today."""

    def __init__(self, event: Event, now: datetime) -> None:
        self.zone = ZoneInfo(event.timezone)
        self.today = now.astimezone(self.zone).date()

    def __call__(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        if local.date() == self.today:
            return local.strftime("%H:%M")
        return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"

    def full(self, moment: datetime) -> str:
        """The local day and time spelled out, for downloads kept long after the event."""
        local = moment.astimezone(self.zone)
        return f"{local.day} {local:%B %Y} at {local:%H:%M}"

    def iso(self, moment: datetime) -> str:
        """The local time as ISO 8601 with its offset (for CSV and machine-readable markup)."""
        return moment.astimezone(self.zone).isoformat(timespec="minutes")


def _avatars(attendees: list[Attendee]) -> dict[int, int]:
    """Cache-busting avatar versions of those who show their card and have a picture."""
    shown = [a.id for a in attendees if service.matchable(a)]
    return people.avatar_versions(db.session(), shown)


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = PRIVATE
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _render_card(
    event: Event,
    attendee: Attendee,
    person: service.MetPerson,
    *,
    outcome: service.MeetingOutcome | None = None,
    form: NoteForm | None = None,
    status: int = 200,
) -> Response:
    if form is None:
        form = NoteForm(formdata=None, data={"note": person.meeting.note if person.meeting else ""})
    response = make_response(
        render_template(
            "network/meeting.html",
            event=event,
            attendee=attendee,
            person=person,
            outcome=outcome,
            form=form,
            avatars=_avatars([person.attendee]),
            at=EventClock(event, utcnow()),
        ),
        status,
    )
    return _private(response)


# --- the badge opener -------------------------------------------------------------------------


def meeting_opener(lookup: BadgeLookup, viewer: BadgeViewer) -> ResponseReturnValue | None:
    """An attendee opening another attendee's badge of their own event: record the meeting."""
    if not viewer.attends(lookup.event_id) or viewer.is_owner(lookup):
        return None
    attendee, met = viewer.attendee, lookup.attendee
    assert attendee is not None and met is not None
    try:
        outcome = service.record_meeting(db.session(), attendee=attendee, met=met, now=utcnow())
    except service.NetworkError:
        db.session.rollback()
        return None  # the public card answers
    db.session.commit()
    event = db.session.get(Event, attendee.event_id)
    assert event is not None
    person = service.MetPerson(
        attendee=met,
        meeting=outcome.meeting,
        met_at=outcome.meeting.created_at,
        relation=outcome.relation,
    )
    return _render_card(event, attendee, person, outcome=outcome)


# --- the attendee's home page -----------------------------------------------------------------


def home_section(event: Event, attendee: Attendee) -> str | None:
    """ "N people you follow are here" and "M people here follow you" on the home page."""
    session = db.session()
    known = service.known_here(session, event=event, attendee=attendee)
    shown = known[:HOME_AVATARS]
    return render_template(
        "network/_home.html",
        event=event,
        attendee=attendee,
        known=known,
        shown=shown,
        avatars=_avatars([k.attendee for k in shown]),
        following=service.follow_count(session, attendee_id=attendee.id),
        followers=service.follower_count(session, event=event, attendee=attendee),
        met=service.meeting_count(session, attendee_id=attendee.id),
    )


# --- who I know online ------------------------------------------------------------------------


def _following_page(
    event: Event,
    attendee: Attendee,
    form: FollowForm,
    *,
    report: follows.FollowList | None = None,
    result: service.ImportResult | None = None,
    status: int = 200,
) -> tuple[str, int]:
    session = db.session()
    known = service.known_here(session, event=event, attendee=attendee)
    return render_template(
        "network/following.html",
        event=event,
        attendee=attendee,
        form=form,
        report=report,
        result=result,
        known=known,
        avatars=_avatars([k.attendee for k in known]),
        following=service.follow_count(session, attendee_id=attendee.id),
        followers=service.follower_count(session, event=event, attendee=attendee),
        source_labels=follows.SOURCE_LABELS,
    ), status


@bp.get("/e/<slug>/me/following")
def following(slug: str) -> tuple[str, int]:
    """Who I know online: import who I follow, see who of them is here."""
    event, attendee = require_attendee(slug)
    return _following_page(event, attendee, FollowForm())


@bp.post("/e/<slug>/me/following")
def import_following(slug: str) -> tuple[str, int]:
    """Read a pasted list or an uploaded export and add it to my follow list (hashed)."""
    event, attendee = require_attendee(slug)
    form = FollowForm()
    if not form.validate_on_submit():
        return _following_page(event, attendee, form, status=422)
    default = form.default_platform.data or None
    upload = form.upload.data
    pasted = form.handles.data or ""
    try:
        if upload is not None and upload.filename:
            report = follows.parse_file(upload.read(follows.MAX_UPLOAD_BYTES + 1), default)
        elif pasted.strip():
            report = follows.parse_pasted(pasted, default)
        else:
            form.form_errors.append("Paste some handles or choose a file to upload.")
            return _following_page(event, attendee, form, status=422)
        result = service.import_follows(
            db.session(), event=event, attendee=attendee, handles=report.handles, now=utcnow()
        )
    except (follows.FollowListError, service.NetworkError) as err:
        db.session.rollback()
        form.form_errors.append(err.message)
        return _following_page(event, attendee, form, status=422)
    db.session.commit()
    # The box keeps only what could not be read, so it can be corrected and sent again.
    form.handles.data = report.bad_text
    return _following_page(event, attendee, form, report=report, result=result)


@bp.post("/e/<slug>/me/following/clear")
def clear_following(slug: str) -> Any:
    """Forget my whole follow list."""
    _, attendee = require_attendee(slug)
    removed = service.clear_follows(db.session(), attendee=attendee)
    db.session.commit()
    flash(
        f"Your follow list is cleared ({removed:,} account{'s' if removed != 1 else ''} forgotten)."
        if removed
        else "Your follow list was already empty.",
        "success",
    )
    return redirect(url_for("network.following", slug=slug))


@bp.get("/e/<slug>/me/people/<int:other_id>/avatar")
def avatar(slug: str, other_id: int) -> Response:
    """The picture of someone I met or follow, while they show their card."""
    event, attendee = require_attendee(slug)
    other = db.session.get(Attendee, other_id)
    if other is None or not service.can_see_card(
        db.session(), event=event, viewer=attendee, other=other
    ):
        abort(404)
    picture = people.avatar_of(db.session(), other.id)
    if picture is None:
        abort(404)
    response = Response(picture.image, mimetype=picture.content_type)
    # Private and short: a withdrawn consent must take effect within minutes.
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- my people --------------------------------------------------------------------------------


def _person(event: Event, attendee: Attendee, other_id: int) -> service.MetPerson:
    try:
        return service.person_met(db.session(), event=event, attendee=attendee, other_id=other_id)
    except service.NetworkError:
        abort(404)


@bp.get("/e/<slug>/me/people")
def my_people(slug: str) -> Response:
    """Everyone I met, newest first, with my notes and the downloads."""
    event, attendee = require_attendee(slug)
    session = db.session()
    met = service.my_people(session, event=event, attendee=attendee)
    scanned = service.scanned_by(session, event=event, attendee=attendee)
    response = make_response(
        render_template(
            "network/people.html",
            event=event,
            attendee=attendee,
            met=met,
            scanned=scanned,
            avatars=_avatars([p.attendee for p in [*met, *scanned]]),
            at=EventClock(event, utcnow()),
        )
    )
    return _private(response)


@bp.get("/e/<slug>/me/people/<int:other_id>")
def person(slug: str, other_id: int) -> Response:
    """The card of someone I met: how we know each other, their links, my note."""
    event, attendee = require_attendee(slug)
    return _render_card(event, attendee, _person(event, attendee, other_id))


@bp.post("/e/<slug>/me/people/<int:other_id>/note")
def save_note(slug: str, other_id: int) -> Any:
    """Save my private note about someone I met."""
    event, attendee = require_attendee(slug)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            service.save_note(
                db.session(),
                attendee=attendee,
                met_id=other_id,
                note=form.note.data or "",
                now=utcnow(),
            )
        except service.NetworkError as err:
            db.session.rollback()
            if err.code == "not_found":
                abort(404)
            form.note.errors = [*form.note.errors, err.message]
        else:
            db.session.commit()
            flash("Note saved. Only you can see it.", "success")
            return redirect(url_for("network.person", slug=slug, other_id=other_id))
    return _render_card(event, attendee, _person(event, attendee, other_id), form=form, status=422)


@bp.post("/e/<slug>/me/people/<int:other_id>/add")
def add_back(slug: str, other_id: int) -> Any:
    """Save someone who scanned my badge to my people."""
    event, attendee = require_attendee(slug)
    other = db.session.get(Attendee, other_id)
    if other is None or other.event_id != event.id:
        abort(404)
    try:
        service.add_back(db.session(), attendee=attendee, other=other, now=utcnow())
    except service.NetworkError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(f"{other.name} is in your people now.", "success")
    return redirect(url_for("network.person", slug=slug, other_id=other_id))


def _contact_lines(
    event: Event, person: service.MetPerson, clock: EventClock
) -> tuple[Contact, list[str]]:
    """The vCard contact and the CSV row of one person I met."""
    other = person.attendee
    shown = person.shows_card
    note = person.meeting.note if person.meeting else ""
    contact = Contact(
        name=other.name,
        company=other.company if shown else "",
        title=other.job_title if shown else "",
        urls=[h.url for h in other.handles] if shown else [],
        note="\n\n".join(
            part for part in (note, f"Met at {event.name} on {clock.full(person.met_at)}.") if part
        ),
    )
    row = [
        other.name,
        contact.company,
        contact.title,
        " ".join(contact.urls),
        person.relation.summary,
        clock.iso(person.met_at),
        note,
    ]
    return contact, row


@bp.get("/e/<slug>/me/people.vcf")
def people_vcf(slug: str) -> Response:
    """Everyone I met as contacts (vCard), one card each."""
    event, attendee = require_attendee(slug)
    clock = EventClock(event, utcnow())
    met = service.my_people(db.session(), event=event, attendee=attendee)
    contacts = [_contact_lines(event, p, clock)[0] for p in met if p.attendee.deleted_at is None]
    response = Response(vcards(contacts), mimetype="text/vcard")
    response.headers["Content-Disposition"] = content_disposition(f"people-{event.slug}.vcf")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/e/<slug>/me/people.csv")
def people_csv(slug: str) -> Response:
    """Everyone I met as a spreadsheet (safe from formula injection)."""
    event, attendee = require_attendee(slug)
    clock = EventClock(event, utcnow())
    met = service.my_people(db.session(), event=event, attendee=attendee)
    header = ["Name", "Company", "Job title", "Profiles", "Online", "Met at", "My note"]
    return csv_response(
        f"people-{event.slug}.csv", header, [_contact_lines(event, p, clock)[1] for p in met]
    )
