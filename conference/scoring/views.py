"""Leaderboards: the attendee's rank, and the event screen for the projector.

The event screen (``/e/<slug>/screen``) is public and read-only: it shows only what the
attendees consented to (names on boards; "Anonymous attendee" otherwise). It joins the
``/screen`` namespace for live updates and re-fetches ``screen.json`` when told something
changed, at most twice a second, so a burst of points costs each screen two queries a second.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from conference.badges import rendering
from conference.db import utcnow
from conference.events.access import event_or_404
from conference.extensions import db, limiter
from conference.people.views import require_attendee
from conference.scoring import service

bp = Blueprint("scoring", __name__)

BOARD_SIZE = 20
SCREEN_JSON_LIMIT = "600 per minute"  # a screen asks at most twice a second


def init_app(app: Flask) -> None:
    """Nothing to plug in yet: features register their boards and screen data themselves."""


@bp.get("/e/<slug>/me/leaderboard")
def my_leaderboard(slug: str) -> Response:
    """The overall board (or one game's) with my rank."""
    event, attendee = require_attendee(slug)
    session = db.session()
    games = service.boards(session, event_id=event.id)
    scope = request.args.get("board") or None
    if scope is not None and scope not in {s for s, _ in games}:
        scope = None
    board = service.leaderboard(session, event_id=event.id, scope=scope, limit=BOARD_SIZE)
    mine = service.standing_of(session, event_id=event.id, attendee_id=attendee.id, scope=scope)
    overall = (
        mine
        if scope is None
        else service.standing_of(session, event_id=event.id, attendee_id=attendee.id)
    )
    response = Response(
        render_template(
            "scoring/leaderboard.html",
            event=event,
            attendee=attendee,
            games=games,
            scope=scope,
            title=dict(games).get(scope or "", "Overall"),
            board=board,
            mine=mine,
            overall=overall,
            in_board=any(s.attendee_id == attendee.id for s in board),
        )
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _qr_data_uri(url: str) -> str:
    svg = rendering.qr_svg(url).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


@bp.get("/e/<slug>/screen")
def screen(slug: str) -> str:
    """The event screen for the projector: leaderboard, recognitions, hunt progress (live)."""
    event = event_or_404(slug)
    base = current_app.config["KNOWN_BASE_URL"].rstrip("/")
    join_url = f"{base}/e/{event.slug}"
    panel = request.args.get("panel", "")
    return render_template(
        "scoring/screen.html",
        event=event,
        join_url=join_url,
        join_host=join_url.split("://", 1)[-1],
        qr=_qr_data_uri(join_url),
        panel=panel if panel in ("leaderboard", "recognitions", "hunt") else "",
    )


@bp.get("/e/<slug>/screen.json")
@limiter.limit(SCREEN_JSON_LIMIT)
def screen_json(slug: str) -> Any:
    """What the event screen shows, as JSON (only consented names)."""
    event = event_or_404(slug)
    data = service.screen_snapshot(db.session(), event_id=event.id, now=utcnow())
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response
