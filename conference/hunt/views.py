"""The hunt's pages: organiser editor, feed and posters; attendee missions; ``/h/<token>``."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import current_user

from conference.accounts.views import safe_next
from conference.checkin import service as checkin
from conference.db import utcnow
from conference.events import service as events
from conference.events.access import current_account_id, require_organiser
from conference.events.models import ORGANISER, Event
from conference.extensions import db, limiter
from conference.hunt import missions, poster, service
from conference.hunt.forms import HuntForm, MissionForm, VoidForm, to_local
from conference.hunt.models import DONE, PENDING, Hunt, Mission
from conference.network import service as network
from conference.people import service as people
from conference.people.models import Attendee
from conference.people.views import current_attendee, register_home_section, require_attendee
from conference.scoring import service as scoring

bp = Blueprint("hunt", __name__)

PRIVATE = "private, no-cache"
# /h/<token> takes a public token: per client IP like the badge page, and per attendee so one
# phone cannot sweep posters faster than a person walks.
CHECKPOINT_IP_LIMIT = "60 per minute"
CHECKPOINT_ATTENDEE_LIMIT = "12 per minute"
HOME_MISSIONS = 3


def init_app(app: Flask) -> None:
    """Plug the hunt into meetings, the attendee home page, the event screen and "my data"."""
    network.register_meeting_listener(service.on_meeting)
    register_home_section(home_section)
    scoring.register_screen_provider("hunts", service.screen_progress)
    scoring.register_board_source(_boards)
    if service.export_attendee not in people.DATA_EXPORTERS:
        people.DATA_EXPORTERS.append(service.export_attendee)
    if service.erase_attendee not in people.DATA_ERASERS:
        people.DATA_ERASERS.append(service.erase_attendee)


def _boards(session: Any, event_id: int) -> list[tuple[str, str]]:
    return [(h.scope, h.name) for h in service.hunts_of(session, event_id=event_id)]


# --- helpers ----------------------------------------------------------------------------------


class Clock:
    """Times in the event's zone: "14:05" today, "Tue 2 Jun, 14:05" otherwise."""

    def __init__(self, event: Event, now: datetime) -> None:
        self.zone = ZoneInfo(event.timezone)
        self.today = now.astimezone(self.zone).date()

    def __call__(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        if local.date() == self.today:
            return local.strftime("%H:%M")
        return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def _hunt(event: Event, hunt_id: int) -> Hunt:
    try:
        return service.get_hunt(db.session(), event_id=event.id, hunt_id=hunt_id)
    except service.HuntError:
        abort(404)


def _mission(hunt: Hunt, mission_id: int) -> Mission:
    try:
        return service.get_mission(db.session(), hunt=hunt, mission_id=mission_id)
    except service.HuntError:
        abort(404)


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = PRIVATE
    return response


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


# --- organiser: hunts -------------------------------------------------------------------------


@bp.route("/organiser/events/<slug>/hunts", methods=["GET", "POST"])
def index(slug: str) -> ResponseReturnValue:
    """The event's hunts; create one."""
    event = require_organiser(slug)
    form = HuntForm()
    if form.validate_on_submit():
        try:
            hunt = service.create_hunt(
                db.session(), event=event, fields=form.fields(event.timezone), now=utcnow()
            )
        except service.HuntError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash(f"“{hunt.name}” is created. Now add its missions.", "success")
            return redirect(url_for("hunt.editor", slug=slug, hunt_id=hunt.id))
    status = 422 if form.errors or form.form_errors else 200
    now = utcnow()
    hunts = service.hunts_of(db.session(), event_id=event.id)
    return render_template(
        "hunt/index.html", event=event, form=form, hunts=hunts, now=now, at=Clock(event, now)
    ), status


@bp.route("/organiser/events/<slug>/hunts/<int:hunt_id>", methods=["GET", "POST"])
def editor(slug: str, hunt_id: int) -> ResponseReturnValue:
    """A hunt's settings and missions."""
    event = require_organiser(slug)
    hunt = _hunt(event, hunt_id)
    form = HuntForm()
    if request.method == "GET":
        form.name.data = hunt.name
        form.starts_at.data = to_local(hunt.starts_at, event.timezone)
        form.ends_at.data = to_local(hunt.ends_at, event.timezone)
    elif form.validate_on_submit():
        try:
            service.update_hunt(db.session(), hunt=hunt, fields=form.fields(event.timezone))
        except service.HuntError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash("Hunt saved.", "success")
            return redirect(url_for("hunt.editor", slug=slug, hunt_id=hunt.id))
    status = 422 if form.errors or form.form_errors else 200
    session = db.session()
    now = utcnow()
    return render_template(
        "hunt/editor.html",
        event=event,
        hunt=hunt,
        form=form,
        counts=service.completion_counts(session, hunt_id=hunt.id),
        tasks={m.id: missions.kind_of(m).summary(session, m) for m in hunt.missions},
        kinds=missions.KINDS,
        now=now,
        at=Clock(event, now),
    ), status


def _mission_form_page(
    event: Event, hunt: Hunt, form: MissionForm, mission: Mission | None, status: int = 200
) -> tuple[str, int]:
    session = db.session()
    form.person_id.choices = [("", "Choose a person…")] + [
        (str(a.id), f"{a.name}{' · ' + a.company if a.company else ''}")
        for a in service.hunt_targets(session, event_id=event.id)
    ]
    form.list_id.choices = [("", "Choose a list…")] + [
        (str(lc.list.id), lc.list.name) for lc in checkin.lists_with_counts(session, event=event)
    ]
    return render_template(
        "hunt/mission_form.html",
        event=event,
        hunt=hunt,
        form=form,
        mission=mission,
        kinds=missions.KINDS,
    ), status


def _save_mission(event: Event, hunt: Hunt, mission: Mission | None) -> ResponseReturnValue:
    form = MissionForm()
    if request.method == "GET":
        if mission is not None:
            form.fill(mission, event.timezone)
        return _mission_form_page(event, hunt, form, mission)
    if not form.validate_on_submit():
        return _mission_form_page(event, hunt, form, mission, 422)
    try:
        if mission is None:
            saved = service.add_mission(
                db.session(), hunt=hunt, fields=form.fields(event.timezone), now=utcnow()
            )
        else:
            saved = service.update_mission(
                db.session(), mission=mission, fields=form.fields(event.timezone)
            )
    except service.HuntError as err:
        db.session.rollback()
        form.form_errors.append(err.message)
        return _mission_form_page(event, hunt, form, mission, 422)
    db.session.commit()
    flash(f"Mission “{saved.title}” saved.", "success")
    return redirect(url_for("hunt.editor", slug=event.slug, hunt_id=hunt.id) + f"#m-{saved.id}")


@bp.route("/organiser/events/<slug>/hunts/<int:hunt_id>/missions/new", methods=["GET", "POST"])
def new_mission(slug: str, hunt_id: int) -> ResponseReturnValue:
    """Add a mission."""
    event = require_organiser(slug)
    return _save_mission(event, _hunt(event, hunt_id), None)


@bp.route(
    "/organiser/events/<slug>/hunts/<int:hunt_id>/missions/<int:mission_id>",
    methods=["GET", "POST"],
)
def edit_mission(slug: str, hunt_id: int, mission_id: int) -> ResponseReturnValue:
    """Change a mission."""
    event = require_organiser(slug)
    hunt = _hunt(event, hunt_id)
    return _save_mission(event, hunt, _mission(hunt, mission_id))


@bp.post("/organiser/events/<slug>/hunts/<int:hunt_id>/missions/<int:mission_id>/delete")
def delete_mission(slug: str, hunt_id: int, mission_id: int) -> ResponseReturnValue:
    """Delete a mission nobody completed."""
    event = require_organiser(slug)
    hunt = _hunt(event, hunt_id)
    mission = _mission(hunt, mission_id)
    title = mission.title
    try:
        service.delete_mission(db.session(), mission=mission)
    except service.HuntError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(f"Mission “{title}” deleted.", "success")
    return redirect(url_for("hunt.editor", slug=slug, hunt_id=hunt.id))


@bp.get("/organiser/events/<slug>/hunts/<int:hunt_id>/missions/<int:mission_id>/poster.pdf")
def poster_pdf(slug: str, hunt_id: int, mission_id: int) -> Response:
    """The printable A4 QR poster of a checkpoint."""
    event = require_organiser(slug)
    hunt = _hunt(event, hunt_id)
    mission = _mission(hunt, mission_id)
    if mission.kind != "checkpoint" or not mission.token:
        abort(404)
    out = io.BytesIO()
    poster.render_poster(
        poster.Poster(
            event_name=event.name,
            hunt_name=hunt.name,
            title=mission.title,
            place=str(mission.params.get("place", "")),
            url=checkpoint_url(current_app.config["KNOWN_BASE_URL"], mission.token),
        ),
        out,
    )
    response = Response(out.getvalue(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="checkpoint-{mission.id}.pdf"'
    return _private(response)


def checkpoint_url(base: str, token: str) -> str:
    """The URL a checkpoint poster's QR code holds."""
    return f"{base.rstrip('/')}/h/{token}"


# --- organiser: fair play ---------------------------------------------------------------------


@bp.get("/organiser/events/<slug>/hunts/<int:hunt_id>/feed")
def feed(slug: str, hunt_id: int) -> str:
    """Completions as a live feed, with void buttons and suspicious scan bursts."""
    event = require_organiser(slug)
    hunt = _hunt(event, hunt_id)
    session = db.session()
    now = utcnow()
    return render_template(
        "hunt/feed.html",
        event=event,
        hunt=hunt,
        items=service.feed(session, hunt=hunt),
        bursts=service.suspicious_bursts(
            session, event_id=event.id, since=hunt.starts_at, until=min(now, hunt.ends_at)
        ),
        board=scoring.leaderboard(session, event_id=event.id, scope=hunt.scope, limit=10),
        form=VoidForm(),
        burst_meetings=service.BURST_MEETINGS,
        burst_minutes=int(service.BURST_WINDOW.total_seconds() // 60),
        at=Clock(event, now),
    )


@bp.post("/organiser/events/<slug>/hunts/<int:hunt_id>/completions/<int:completion_id>/void")
def void(slug: str, hunt_id: int, completion_id: int) -> ResponseReturnValue:
    """Void a completion with a reason (negative ledger entries)."""
    event = require_organiser(slug)
    hunt = _hunt(event, hunt_id)
    form = VoidForm()
    back = url_for("hunt.feed", slug=slug, hunt_id=hunt.id)
    if not form.validate_on_submit():
        flash("Say why the completion is voided.", "error")
        return redirect(back)
    try:
        completion = service.void_completion(
            db.session(),
            event_id=event.id,
            completion_id=completion_id,
            reason=form.reason.data or "",
            now=utcnow(),
        )
    except service.HuntError as err:
        db.session.rollback()
        if err.code == "not_found":
            abort(404)
        flash(err.message, "error")
        return redirect(back)
    if completion.hunt_id != hunt.id:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash("Completion voided: its points are taken back.", "success")
    return redirect(back)


# --- attendees: my missions -------------------------------------------------------------------


@bp.get("/e/<slug>/hunt")
def my_missions(slug: str) -> Response:
    """My hunts and missions: clues, hints, progress, what I completed."""
    event, attendee = require_attendee(slug)
    session = db.session()
    now = utcnow()
    response = make_response(
        render_template(
            "hunt/missions.html",
            event=event,
            attendee=attendee,
            hunts=service.my_hunts(session, event=event, attendee=attendee, now=now),
            requests=service.pending_requests(session, attendee=attendee),
            standing=scoring.standing_of(session, event_id=event.id, attendee_id=attendee.id),
            at=Clock(event, now),
        )
    )
    return _private(response)


@bp.post("/e/<slug>/hunt/hints/<int:hint_id>")
def reveal_hint(slug: str, hint_id: int) -> ResponseReturnValue:
    """Reveal a hint (its cost is paid once)."""
    _, attendee = require_attendee(slug)
    try:
        hint = service.reveal_hint(db.session(), attendee=attendee, hint_id=hint_id, now=utcnow())
    except service.HuntError as err:
        db.session.rollback()
        if err.code == "not_found":
            abort(404)
        flash(err.message, "error")
        return redirect(url_for("hunt.my_missions", slug=slug))
    db.session.commit()
    flash(
        f"Hint revealed{f' (−{hint.cost} points)' if hint.cost else ''}.",  # noqa: RUF001
        "success",
    )
    return redirect(url_for("hunt.my_missions", slug=slug) + f"#m-{hint.mission_id}")


@bp.get("/e/<slug>/hunt/missions/<int:mission_id>/clue")
def clue_picture(slug: str, mission_id: int) -> Response:
    """The picture clue of a "find a person" mission (never the badge URL: that would tell)."""
    event, _ = require_attendee(slug)
    session = db.session()
    try:
        mission = service.visible_mission(session, event_id=event.id, mission_id=mission_id)
    except service.HuntError:
        abort(404)
    kind = missions.kind_of(mission)
    if not isinstance(kind, missions.PersonMission) or mission.params.get("clue") != "avatar":
        abort(404)
    target = kind.target(session, mission)
    picture = people.avatar_of(session, target.id) if target is not None else None
    if picture is None:
        abort(404)
    response = Response(picture.image, mimetype=picture.content_type)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/e/<slug>/hunt/requests/<int:completion_id>")
def answer_request(slug: str, completion_id: int) -> ResponseReturnValue:
    """Confirm (or decline) that someone found me for a mission."""
    _, attendee = require_attendee(slug)
    accept = request.form.get("answer") == "confirm"
    try:
        completion = service.answer_request(
            db.session(),
            attendee=attendee,
            completion_id=completion_id,
            accept=accept,
            now=utcnow(),
        )
    except service.HuntError as err:
        db.session.rollback()
        if _wants_json():
            return jsonify(err.as_dict()), err.status
        abort(404)
    db.session.commit()
    if _wants_json():
        return jsonify({"ok": True, "status": completion.status})
    if completion.status == DONE:
        flash("Thanks! You confirmed it: they get their points.", "success")
    else:
        flash("Declined: no points for that one.", "info")
    default = url_for("hunt.my_missions", slug=slug)
    return redirect(safe_next(request.form.get("next"), default))


# --- checkpoints ------------------------------------------------------------------------------


def _scanner_key() -> str:
    """Rate-limit key of /h/<token>: the attendee when logged in, else the client IP."""
    if current_user.is_authenticated and getattr(current_user, "is_attendee", False):
        return f"attendee:{current_user.id}"
    return get_remote_address()


@bp.get("/h/<token>")
@limiter.limit(CHECKPOINT_IP_LIMIT)
@limiter.limit(CHECKPOINT_ATTENDEE_LIMIT, key_func=_scanner_key)
def checkpoint(token: str) -> ResponseReturnValue:
    """A checkpoint poster: completes the mission for a logged-in attendee of the event."""
    session = db.session()
    mission = service.mission_by_token(session, token)
    if mission is None:
        return _private(make_response(render_template("hunt/checkpoint_invalid.html"), 404))
    event = session.get(Event, mission.event_id)
    assert event is not None
    attendee = current_attendee(event)
    result: service.CheckpointScan | None = None
    if attendee is not None:
        result = service.scan_checkpoint(session, attendee=attendee, mission=mission, now=utcnow())
        session.commit()
    account_id = current_account_id()
    organiser = account_id is not None and events.has_role(
        session, account_id=account_id, event_id=event.id, roles=(ORGANISER,)
    )
    other_event = (
        attendee is None
        and current_user.is_authenticated
        and isinstance(current_user._get_current_object(), Attendee)
    )
    standing = (
        scoring.standing_of(session, event_id=event.id, attendee_id=attendee.id)
        if attendee is not None
        else None
    )
    response = make_response(
        render_template(
            "hunt/checkpoint.html",
            event=event,
            mission=mission,
            hunt=mission.hunt,
            attendee=attendee,
            result=result,
            organiser=organiser,
            other_event=other_event,
            standing=standing,
        )
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return _private(response)


# --- the attendee's home page -----------------------------------------------------------------


def home_section(event: Event, attendee: Attendee) -> str | None:
    """Open missions, requests to confirm and my rank, on the attendee's home page."""
    session = db.session()
    now = utcnow()
    hunts = service.my_hunts(session, event=event, attendee=attendee, now=now)
    requests = service.pending_requests(session, attendee=attendee)
    standing = scoring.standing_of(session, event_id=event.id, attendee_id=attendee.id)
    if not hunts and not requests and standing is None:
        return None
    live = [h for h in hunts if h.state == "open"]
    open_missions = [m for h in live for m in h.missions if m.state == "open"]
    return render_template(
        "hunt/_home.html",
        event=event,
        attendee=attendee,
        hunts=hunts,
        live=live,
        open_missions=open_missions[:HOME_MISSIONS],
        open_count=len(open_missions),
        requests=requests,
        standing=standing,
        pending_state=PENDING,
    )
