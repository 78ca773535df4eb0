"""Two attendees on phones meet by opening each other's badge; the projector's board follows.

A real server (``python app.py``), three browser contexts: two phones (390x844) logged in by
their magic links and a projector (1280x720) on the event screen. Each phone opens the other's
badge URL: the meeting is recorded, a hunt mission completes, and the projector's leaderboard
shows it within a second. One mission asks the person found to confirm: their phone gets the
prompt live and confirming pays the finder, on the projector too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import PHONE
from tests.servers import ROOT, KnownServer

pytestmark = pytest.mark.browser

PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
# Within a second of the scan, as the issue asks.
LIVE_MS = 1000

SETUP = """
import json, sys
from datetime import timedelta
from conference import create_app
from conference.badges import service as badges
from conference.db import utcnow
from conference.events import service as events
from conference.extensions import db
from conference.hunt import service as hunts
from conference.people import service as people
from conference.people.links import login_url

slug = sys.argv[1]
app = create_app()
with app.app_context():
    session = db.session()
    now = utcnow()
    organiser = events.get_event(session, "demo").memberships[0].account
    event = events.create_event(session, organiser=organiser, fields=events.EventFields(
        name="Meet and Hunt Conf", slug=slug, starts_on=now.date(), ends_on=now.date()))
    hunt = hunts.create_hunt(session, event=event, fields=hunts.HuntFields(
        "Browser hunt", now - timedelta(hours=1), now + timedelta(hours=2)), now=now)
    hunts.add_mission(session, hunt=hunt, now=now, fields=hunts.MissionFields(
        title="Say hello", kind="meet_n", params={"n": 1}, points=100))
    hunts.add_mission(session, hunt=hunt, now=now, fields=hunts.MissionFields(
        title="Find someone from Datawell", kind="trait", points=150,
        params={"rule": "company", "company": "Datawell"}, requires_confirmation=True))
    out = {}
    for key, name, company in (("ana", "Ana Alpha", "Datawell"), ("ben", "Ben Beta", "Kiel")):
        person = people.create_attendee(session, event=event,
            profile=people.Profile(name=name, email=f"{key}@example.com", company=company),
            handles=[], consents=people.Consents(card=True, game=True, leaderboard=True))
        token = people.issue_login_link(session, attendee=person, event=event, now=now)
        badge = badges.ensure_badge(session, attendee=person, now=now)
        base = app.config["KNOWN_BASE_URL"]
        out[key] = {
            "login": login_url(base, slug, token), "badge": badges.badge_url(base, badge.token)
        }
    session.commit()
    print(json.dumps(out))
"""


@pytest.fixture
def people_here(known_server: KnownServer) -> dict[str, Any]:
    """A fresh event with an open hunt and two attendees: their login links and badge URLs."""
    result = subprocess.run(
        [sys.executable, "-c", SETUP, "meet-and-hunt"],
        cwd=ROOT,
        env=known_server.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture
def contexts(browser: Any) -> Iterator[dict[str, Any]]:
    opened = {
        "ana": browser.new_context(**PHONE),
        "ben": browser.new_context(**PHONE),
        "projector": browser.new_context(**PROJECTOR),
    }
    for context in opened.values():
        context.set_default_timeout(10_000)
    yield opened
    for context in opened.values():
        context.close()


def test_two_phones_meet_complete_a_mission_and_the_projector_follows(
    known_server: KnownServer, people_here: dict[str, Any], contexts: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    pages = {}
    for name, context in contexts.items():
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        pages[name] = page

    screen = pages["projector"]
    screen.goto(known_server.url + "/e/meet-and-hunt/screen?panel=leaderboard")
    expect(screen.locator("[data-live]")).to_have_text("● live")
    board = screen.locator("[data-board]")
    expect(board).to_contain_text("No points yet")

    ana, ben = pages["ana"], pages["ben"]
    for page, who in ((ana, "ana"), (ben, "ben")):
        page.goto(people_here[who]["login"])
        page.get_by_role("heading", name=f"Hi, {'Ana' if who == 'ana' else 'Ben'}!").wait_for()
    # Ana's home page holds her live prompts ("/me"); wait until it is connected.
    ana.wait_for_function("() => document.querySelector('[data-me-live]')?.dataset.bound === '1'")

    # Ben opens Ana's badge URL (his phone's camera would open the same URL).
    ben.goto(people_here["ana"]["badge"])
    ben.get_by_role("heading", name="You met Ana Alpha!").wait_for()
    expect(ben.get_by_text("Mission complete: Say hello (+100)")).to_be_visible()
    expect(ben.get_by_text("Mission pending: Find someone from Datawell")).to_be_visible()
    row = board.locator(".screen-row", has_text="Ben Beta")
    expect(row).to_be_visible(timeout=LIVE_MS)
    expect(row).to_contain_text("110", timeout=LIVE_MS)  # 10 for the meeting, 100 for the mission

    # Ana's phone asks her, live, whether Ben really found her.
    prompt = ana.get_by_role("alertdialog")
    expect(prompt).to_contain_text("Ben Beta found you for “Find someone from Datawell”")
    prompt.get_by_role("button", name="Yes, we met").click()
    expect(ana.get_by_text("Confirmed: Ben Beta gets the points.")).to_be_visible()
    expect(row).to_contain_text("260", timeout=LIVE_MS)

    # Ana opens Ben's badge URL: her meeting, her mission, her line on the projector.
    ana.goto(people_here["ben"]["badge"])
    ana.get_by_role("heading", name="You met Ben Beta!").wait_for()
    expect(ana.get_by_text("Mission complete: Say hello (+100)")).to_be_visible()
    expect(board.locator(".screen-row", has_text="Ana Alpha")).to_contain_text(
        "110", timeout=LIVE_MS
    )
    expect(board.locator(".screen-row").first).to_contain_text("Ben Beta")

    # A second scan of the same badge records nothing new.
    ana.goto(people_here["ben"]["badge"])
    expect(ana.get_by_text("You met before — this scan adds nothing new.")).to_be_visible()
    for page in (ana, ben):
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
