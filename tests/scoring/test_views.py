"""Leaderboard pages and the event screen over HTTP: ranks, boards, consented names only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest

from conference.db import utcnow
from conference.events.models import Event
from conference.hunt import service as hunts
from conference.people import service as people
from conference.scoring import service

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NAMED = people.Consents(card=True, game=True, leaderboard=True)


def visible(html: str) -> str:
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


def log_in(client: Any, session: Any, attendee: Any) -> None:
    event = session.get(Event, attendee.event_id)
    token = people.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302


def award(
    session: Any, attendee: Any, key: str, points: int, minutes: int = 0, scope: str = ""
) -> None:
    service.award(
        session,
        event_id=attendee.event_id,
        attendee_id=attendee.id,
        source="hunt" if scope else "quiz",
        source_key=key,
        points=points,
        now=T0 + timedelta(minutes=minutes),
        scope=scope,
    )
    session.commit()


@pytest.fixture
def event(make: Any) -> Event:
    return make.event(slug="board-conf", name="Board Conf")


@pytest.fixture
def board(session: Any, make: Any, event: Event) -> dict[str, Any]:
    """Ada 300, Bo 200 (first to 200), Cy 200, Shy 100 (not named), and a hunt board."""
    people_ = {
        "Ada": make.attendee(event, name="Ada Lovelace", consents=NAMED),
        "Bo": make.attendee(event, name="Bo Bennett", consents=NAMED),
        "Cy": make.attendee(event, name="Cy Young", consents=NAMED),
        "Shy": make.attendee(event, name="Shy Secret", consents=people.Consents(card=True)),
    }
    hunt = hunts.create_hunt(
        session,
        event=event,
        fields=hunts.HuntFields("Treasure", T0, T0 + timedelta(hours=2)),
        now=T0,
    )
    session.commit()
    people_["hunt"] = hunt
    award(session, people_["Ada"], "a1", 300, 1)
    award(session, people_["Bo"], "b1", 200, 2)
    award(session, people_["Cy"], "c1", 200, 3)
    award(session, people_["Shy"], "s1", 100, 4)
    award(session, people_["Cy"], "c2", 50, 5, scope=hunt.scope)
    return people_


def test_my_leaderboard_shows_my_rank_and_the_tie_break(
    client: Any, session: Any, board: dict[str, Any]
) -> None:
    log_in(client, session, board["Bo"])
    response = client.get("/e/board-conf/me/leaderboard")
    assert response.status_code == 200
    page = visible(response.get_data(as_text=True))
    assert "You are #3" in page  # Cy's 250 (200 + 50 in the hunt) is ahead of Bo's 200
    rows = page.split("You are #3", 1)[1]
    assert rows.index("Ada Lovelace") < rows.index("Cy Young") < rows.index("Bo Bennett")
    assert "Anonymous attendee" in page and "Shy Secret" not in page
    assert "Treasure" in page  # the per-hunt board is offered


def test_a_hunt_board_counts_its_scope_only(
    client: Any, session: Any, board: dict[str, Any]
) -> None:
    log_in(client, session, board["Cy"])
    scope = board["hunt"].scope
    page = visible(client.get(f"/e/board-conf/me/leaderboard?board={scope}").get_data(as_text=True))
    assert "You are #1" in page and "50 points in this game · #2 overall" in page
    assert "Ada Lovelace" not in page
    # An unknown board falls back to the overall one.
    page = visible(client.get("/e/board-conf/me/leaderboard?board=hunt:999").get_data(as_text=True))
    assert "Ada Lovelace" in page


def test_an_unnamed_attendee_sees_themselves_and_how_to_be_named(
    client: Any, session: Any, board: dict[str, Any]
) -> None:
    log_in(client, session, board["Shy"])
    page = visible(client.get("/e/board-conf/me/leaderboard").get_data(as_text=True))
    assert "You are #4" in page and "Others see you as “Anonymous attendee”" in page


def test_the_leaderboard_page_needs_an_attendee_of_the_event(
    client: Any, session: Any, make: Any, board: dict[str, Any]
) -> None:
    assert client.get("/e/board-conf/me/leaderboard").status_code == 302
    outsider = make.attendee(make.event(), name="Outsider")
    log_in(client, session, outsider)
    assert client.get("/e/board-conf/me/leaderboard").status_code == 302


def test_the_event_screen_is_public_and_shows_consented_names_only(
    client: Any, session: Any, board: dict[str, Any]
) -> None:
    page = client.get("/e/board-conf/screen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Board Conf" in html and 'data-event="board-conf"' in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline code or styles
    assert "known.test/e/board-conf" in visible(html)
    data = client.get("/e/board-conf/screen.json").get_json()
    assert [(r["rank"], r["name"], r["total"]) for r in data["leaderboard"]] == [
        (1, "Ada Lovelace", 300),
        (2, "Cy Young", 250),
        (3, "Bo Bennett", 200),
        (4, "Anonymous attendee", 100),
    ]
    assert "Shy Secret" not in str(data)
    assert [h["name"] for h in data["hunts"]] == ["Treasure"]
    assert client.get("/e/nope/screen").status_code == 404
    assert client.get("/e/nope/screen.json").status_code == 404


def test_the_screen_feed_lists_recognitions_by_pair(
    client: Any, session: Any, make: Any, event: Event
) -> None:
    from conference.network import service as network
    from conference.people.handles import Handle

    ada = make.attendee(event, name="Ada Lovelace", handles=("x:@ada_l",), consents=NAMED)
    bo = make.attendee(event, name="Bo Bennett", handles=("x:@bo_b",), consents=NAMED)
    network.import_follows(
        session,
        event=event,
        attendee=ada,
        handles=[Handle(h.platform, h.handle, h.url) for h in bo.handles],
        now=T0,
    )
    network.record_meeting(session, attendee=ada, met=bo, now=T0)
    session.commit()
    data = client.get("/e/board-conf/screen.json").get_json()
    assert [(sorted(r["names"]), r["points"]) for r in data["recognitions"]] == [
        (["Ada Lovelace", "Bo Bennett"], network.RECOGNITION_POINTS)
    ]
