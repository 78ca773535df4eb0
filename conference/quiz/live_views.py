"""The live quiz screens: the host console, the projector and the phone's join-and-play page.

These pages are shells: everything live happens over the ``/quiz`` Socket.IO namespace
(``conference.quiz.sockets``), which checks again who may join as what. The pages only find
the run, check that an organiser is looking at a run of their own event, and hand the
scripts what they need to connect (PIN, run id, the join URL and its QR code).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from conference.badges.rendering import qr_svg
from conference.errors import DomainError
from conference.events.access import require_organiser
from conference.events.models import Event
from conference.extensions import db
from conference.people.views import current_attendee
from conference.quiz import service
from conference.quiz.models import QuizRun

bp = Blueprint("quiz_live", __name__)

PIN_PATTERN = re.compile(r"\d{6}")


def join_url(pin: str) -> str:
    """The absolute URL phones open to join the run with this PIN."""
    return f"{current_app.config['KNOWN_BASE_URL']}/q/{pin}"


def _qr_data_uri(url: str) -> str:
    svg = base64.b64encode(qr_svg(url).encode()).decode("ascii")
    return f"data:image/svg+xml;base64,{svg}"


def _organiser_run(slug: str, run_id: int) -> tuple[Event, QuizRun]:
    event = require_organiser(slug)
    try:
        run = service.get_run(db.session(), event_id=event.id, run_id=run_id)
    except DomainError:
        abort(404)
    return event, run


def _stage_context(event: Event, run: QuizRun) -> dict[str, Any]:
    url = join_url(run.pin)
    return {
        "event": event,
        "run": run,
        "join_url": url,
        "join_host": url.split("://", 1)[-1].rsplit("/q/", 1)[0],
        "qr_data_uri": _qr_data_uri(url),
    }


@bp.get("/organiser/events/<slug>/quiz-runs/<int:run_id>/host")
def host(slug: str, run_id: int) -> str:
    """The host console: the run as the projector shows it, plus the controls."""
    event, run = _organiser_run(slug, run_id)
    return render_template(
        "quiz/host.html",
        screen_url=url_for("quiz_live.screen", slug=event.slug, run_id=run.id),
        results_url=url_for("quiz.results", slug=event.slug, run_id=run.id),
        editor_url=(
            url_for("quiz.editor", slug=event.slug, quiz_id=run.quiz_id) if run.quiz_id else None
        ),
        **_stage_context(event, run),
    )


@bp.get("/organiser/events/<slug>/quiz-runs/<int:run_id>/screen")
def screen(slug: str, run_id: int) -> str:
    """The projector: PIN, QR, questions, reveals, leaderboard and podium; no controls."""
    event, run = _organiser_run(slug, run_id)
    return render_template("quiz/screen.html", **_stage_context(event, run))


def _clean_pin(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-.")


@bp.get("/q")
def enter() -> Any:
    """Type the PIN shown on the big screen."""
    raw = request.args.get("pin")
    if raw is None:
        return render_template("quiz/join.html", pin="", error=None)
    pin = _clean_pin(raw)
    if not PIN_PATTERN.fullmatch(pin):
        error = "The PIN is the 6 digits shown on the big screen."
        return render_template("quiz/join.html", pin=raw, error=error), 422
    return redirect(url_for("quiz_live.play", pin=pin))


@bp.get("/q/<pin>")
def play(pin: str) -> Any:
    """Join the run with this PIN and play it on the phone."""
    clean = _clean_pin(pin)
    if clean != pin and PIN_PATTERN.fullmatch(clean):
        return redirect(url_for("quiz_live.play", pin=clean))
    run = None
    if PIN_PATTERN.fullmatch(pin):
        try:
            run = service.find_run(db.session(), pin=pin)
        except DomainError:
            run = None
    if run is None:
        error = f"There is no quiz with PIN {pin}. Check the number on the big screen."
        return render_template("quiz/join.html", pin=pin, error=error), 404
    event = db.session.get(Event, run.event_id)
    attendee = current_attendee(event) if event is not None else None
    # Attendees who did not agree to be named on leaderboards appear under a neutral name.
    shown_as = None
    if attendee is not None:
        shown_as = attendee.name if attendee.consent_leaderboard else f"Player {attendee.id}"
    return render_template(
        "quiz/play.html",
        run=run,
        event=event,
        attendee=attendee,
        shown_as=shown_as,
    )
