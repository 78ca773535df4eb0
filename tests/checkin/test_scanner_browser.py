"""The scanner page in a real Chromium at phone size: offline scans, a reload, the sync.

Staff A scans at the main entrance while the venue Wi-Fi is down (Playwright's offline mode):
three badges, one of them twice, all validated against the roster kept in IndexedDB and queued.
Meanwhile staff B checks one of those people in at another door (online). Staff A reloads the
page, still offline: the service worker serves it from its cache and the queue is intact. When
the network returns, the queue is sent with the original nonces and scan times; the server
decides, and the conflict shows up under "Synced with warnings".
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path
from tests.servers import ROOT, KnownServer

pytestmark = pytest.mark.browser

PASSWORD = "door staff password 1"

# Run with the server's environment, so it writes to the server's database.
SEED = r"""
import json, sys
from datetime import timedelta

from conference import create_app
from conference.accounts import service as accounts
from conference.badges import service as badges
from conference.checkin import service as checkin
from conference.db import utcnow
from conference.events import service as events
from conference.events.models import Membership
from conference.extensions import db
from conference.people import service as people

spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    s = db.session()
    now = utcnow()
    base = app.config["KNOWN_BASE_URL"]
    organiser = accounts.create_account(
        s, email="olga@door.example.org", name="Olga Organiser", password=spec["password"]
    )
    staff = {}
    for email, name in spec["staff"]:
        staff[email] = accounts.create_account(s, email=email, name=name, password=spec["password"])

    def make_event(slug, name):
        return events.create_event(
            s,
            organiser=organiser,
            fields=events.EventFields(
                name=name, slug=slug, starts_on=now.date(), ends_on=now.date() + timedelta(days=1),
                timezone="Europe/Berlin",
            ),
        )

    event = make_event(spec["slug"], "Door Conf")
    other = make_event(spec["slug"] + "-other", "Other Conf")
    for account in staff.values():
        s.add(Membership(event_id=event.id, account_id=account.id, role="staff"))
    out = {"slug": event.slug, "attendees": [], "staff": {e: a.id for e, a in staff.items()}}
    for i, (name, company) in enumerate(spec["people"]):
        attendee = people.create_attendee(
            s, event=event,
            profile=people.Profile(name=name, email=f"p{i}@door.example.org", company=company),
        )
        token = badges.ensure_badge(s, attendee=attendee, now=now).token
        out["attendees"].append(
            {"id": attendee.id, "name": name, "company": company, "token": token,
             "url": badges.badge_url(base, token)}
        )
    stranger = people.create_attendee(
        s, event=other, profile=people.Profile(name="Stranger", email="x@other.example.org")
    )
    out["other_event_url"] = badges.badge_url(
        base, badges.ensure_badge(s, attendee=stranger, now=now).token
    )
    lst = checkin.create_list(s, event=event, name="Main entrance", allow_reentry=False, now=now)
    s.flush()
    out["list_id"] = lst.id
    s.commit()
    print(json.dumps(out))
"""

PEOPLE = [
    ("Maria Fernández", "Datawell"),
    ("Jonas Becker", "Kiel Robotics"),
    ("Aiko Tanaka", "Sakura Labs"),
    ("Priya Raman", "Nimbus"),
    ("Tomás Silva", ""),
]
STAFF = [("sam@door.example.org", "Sam Porter"), ("lee@door.example.org", "Lee Side")]


def seed_door(server: KnownServer, slug: str = "doorconf") -> dict[str, Any]:
    """Create an event with a team, a list and badge-holding attendees in the server's database."""
    spec = {"slug": slug, "password": PASSWORD, "staff": STAFF, "people": PEOPLE}
    result = subprocess.run(
        [sys.executable, "-c", SEED, json.dumps(spec)],
        cwd=ROOT,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{result.stderr}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def start_server(workdir: Path) -> KnownServer:
    """A real server on a fresh SQLite database."""
    server = KnownServer(workdir=workdir)
    server.workdir.mkdir(parents=True, exist_ok=True)
    server.flask("db", "upgrade")  # no demo event: the test seeds its own
    server.start()
    return server


def db_rows(server: KnownServer, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the server's SQLite database directly (the truth, not what a page says)."""
    with sqlite3.connect(server.workdir / "known.db") as conn:
        return list(conn.execute(sql, params).fetchall())


def log_in(context: Any, server: KnownServer, email: str) -> Any:
    """A page of ``context`` logged in as ``email`` through the real login form."""
    page = context.new_page()
    page.goto(server.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def scanner_url(server: KnownServer, door: dict[str, Any]) -> str:
    return f"{server.url}/organiser/events/{door['slug']}/checkin/scan?list={door['list_id']}"


def wedge_scan(page: Any, text: str) -> None:
    """What a USB/Bluetooth scanner does: type into the focused field, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def wait_offline_ready(page: Any) -> None:
    """The roster is in IndexedDB and the service worker controls and cached the page."""
    page.wait_for_selector("#scanner[data-offline-ready='yes']", timeout=20_000)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnownServer]:
    """A real ``python app.py`` on a fresh SQLite database."""
    chromium_path()  # skip (or fail in CI) before starting anything when chromium is missing
    srv = start_server(Path(tmp_path_factory.mktemp("scanner-server")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def door(server: KnownServer) -> dict[str, Any]:
    """The seeded event, list, staff and attendees."""
    return seed_door(server)


@pytest.fixture(scope="module")
def chromium(playwright: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, driven by the session's Playwright."""
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def test_offline_scans_survive_a_reload_and_sync_with_a_warning(
    server: KnownServer, door: dict[str, Any], chromium: Any
) -> None:
    maria, jonas, aiko = door["attendees"][:3]
    sam_id, lee_id = door["staff"]["sam@door.example.org"], door["staff"]["lee@door.example.org"]
    errors: list[str] = []

    phone = chromium.new_context(**PHONE)
    phone.set_default_timeout(10_000)
    other_door = chromium.new_context(**PHONE)
    other_door.set_default_timeout(10_000)
    try:
        page = log_in(phone, server, "sam@door.example.org")
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(scanner_url(server, door))
        assert page.get_by_role("heading", name="Main entrance").is_visible()
        wait_offline_ready(page)
        assert page.locator("#roster-info").inner_text().startswith("5 badges")

        phone.set_offline(True)
        page.locator("#conn[data-state='offline']").wait_for()

        result = page.locator("#result")
        wedge_scan(page, maria["url"])
        result.locator("text=Welcome, Maria Fernández").wait_for()
        assert result.get_attribute("data-kind") == "ok"
        assert "Offline" in page.locator("#result-meta").inner_text()

        # A bare token works too, as a hand scanner configured without the URL would send it.
        wedge_scan(page, jonas["token"])
        result.locator("text=Welcome, Jonas Becker").wait_for()

        wedge_scan(page, aiko["url"])
        result.locator("text=Welcome, Aiko Tanaka").wait_for()

        # Maria again, after the 2-second window for repeated reads: already in, on this phone.
        page.wait_for_timeout(2_200)
        wedge_scan(page, maria["url"])
        result.locator("text=Already checked in").wait_for()
        assert result.get_attribute("data-kind") == "warn"
        assert "on this phone at" in page.locator("#result-detail").inner_text()
        page.locator("#queue-count", has_text="4 queued").wait_for()

        # Meanwhile, at another door with a working connection, Lee checks Aiko in.
        lee = log_in(other_door, server, "lee@door.example.org")
        lee.goto(scanner_url(server, door))
        lee.locator("#conn[data-state='online']").wait_for()
        wedge_scan(lee, aiko["url"])
        lee.locator("#result[data-kind='ok']", has_text="Welcome, Aiko Tanaka").wait_for()
        assert db_rows(
            server, "SELECT staff_id FROM check_in WHERE attendee_id = ?", aiko["id"]
        ) == [(lee_id,)]

        # Reload while offline: the page comes from the service worker's cache, the queue stays.
        response = page.reload()
        assert response is not None
        assert response.headers.get("x-known-offline-copy") == "1"
        page.locator("#queue-count", has_text="4 queued").wait_for()
        queued = page.locator("#queue-list").inner_text()
        assert "Maria Fernández" in queued and "Jonas Becker" in queued
        assert db_rows(server, "SELECT count(*) FROM scan WHERE staff_id = ?", sam_id) == [(0,)]

        phone.set_offline(False)
        page.locator("#queue-count", has_text="0 queued").wait_for(timeout=20_000)
        warnings = page.locator("#warnings-box")
        warnings.wait_for(state="visible")
        assert page.get_by_role("heading", name="Synced with warnings (1)").is_visible()
        warning = page.locator("#warnings-list li")
        assert warning.count() == 1
        assert "Aiko Tanaka" in warning.inner_text()
        assert "Already checked in" in warning.inner_text()
        assert "Lee Side" in warning.inner_text()

        # The server's truth: each of the three checked in exactly once, Aiko by the other door.
        live = db_rows(
            server,
            "SELECT attendee_id, staff_id FROM check_in "
            "WHERE list_id = ? AND undone_at IS NULL ORDER BY attendee_id",
            door["list_id"],
        )
        assert sorted(live) == sorted(
            [(maria["id"], sam_id), (jonas["id"], sam_id), (aiko["id"], lee_id)]
        )
        scans = db_rows(
            server,
            "SELECT attendee_id, code, scanned_at, received_at FROM scan "
            "WHERE staff_id = ? ORDER BY id",
            sam_id,
        )
        # Sent in the order scanned, each with its own nonce, decided by the server.
        assert [(a, c) for a, c, _, _ in scans] == [
            (maria["id"], "ok"),
            (jonas["id"], "ok"),
            (aiko["id"], "already_checked_in"),
            (maria["id"], "already_checked_in"),
        ]
        # The original scan time travelled with the queued scan.
        first_scanned, first_received = (datetime.fromisoformat(v) for v in scans[0][2:])
        assert (first_received - first_scanned).total_seconds() > 2
        nonces = db_rows(server, "SELECT nonce FROM scan WHERE staff_id IN (?, ?)", sam_id, lee_id)
        assert len({n for (n,) in nonces}) == 5

        # The counts on the page follow the server.
        page.locator("#count-in", has_text="3").wait_for()
        assert errors == []
    finally:
        phone.close()
        other_door.close()


def test_search_check_in_login_qr_undo_and_the_answers_online(
    server: KnownServer, door: dict[str, Any], chromium: Any
) -> None:
    tomas = door["attendees"][4]
    olga_id = db_rows(server, "SELECT id FROM account WHERE email = 'olga@door.example.org'")[0][0]
    errors: list[str] = []
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(10_000)
    watcher = chromium.new_context(**PHONE)
    watcher.set_default_timeout(10_000)
    try:
        # Sam's phone at another door only watches: its counts move by Socket.IO alone.
        sam = log_in(watcher, server, "sam@door.example.org")
        sam.goto(scanner_url(server, door))
        sam.locator("#scanner[data-live='yes']").wait_for()
        before = int(sam.locator("#count-in").inner_text())

        # The organiser works the door too.
        page = log_in(context, server, "olga@door.example.org")
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(scanner_url(server, door))
        result = page.locator("#result")

        # No badge with them: found by name, checked in with one tap.
        page.get_by_label("Find by name, e-mail or company").fill("silva")
        page.get_by_role("button", name="Check in Tomás Silva").click()
        result.locator("text=Welcome, Tomás Silva").wait_for()
        assert result.get_attribute("data-kind") == "ok"
        page.locator("#search-results").get_by_text("Checked in").wait_for()
        sam.locator("#count-in", has_text=str(before + 1)).wait_for()
        assert "Tomás Silva · by Olga Organiser" in sam.locator("#last-checkin").inner_text()

        # Log in on their phone: the desk login QR opens over the scanner.
        page.get_by_role("button", name="Log in on their phone").click()
        dialog = page.locator("#login-dialog")
        dialog.wait_for(state="visible")
        assert dialog.get_by_role("heading").inner_text() == "Tomás Silva"
        page.wait_for_function("document.getElementById('login-dialog-qr').naturalWidth > 0")
        dialog.get_by_role("button", name="Done").click()
        dialog.wait_for(state="hidden")
        assert db_rows(
            server, "SELECT purpose FROM login_link WHERE attendee_id = ?", tomas["id"]
        ) == [("desk",)]

        # Undo, within the 30 s shown on the button.
        undo = page.locator("#undo")
        assert "s" in page.locator("#undo-left").inner_text()
        undo.click()
        result.locator("text=Check-in undone").wait_for()
        assert undo.is_hidden()
        assert db_rows(
            server,
            "SELECT undone_at IS NOT NULL, undone_by_id FROM check_in WHERE attendee_id = ?",
            tomas["id"],
        ) == [(1, olga_id)]

        # The search box is cleared: the hand scanner's field has the focus again.
        page.get_by_label("Find by name, e-mail or company").fill("")
        page.locator("#result").click()
        page.wait_for_function("document.activeElement.id === 'wedge'")
        wedge_scan(page, tomas["url"])
        result.locator("text=Welcome, Tomás Silva").wait_for()
        page.wait_for_timeout(2_200)
        wedge_scan(page, tomas["url"])
        result.locator("text=Already checked in").wait_for()
        assert result.get_attribute("data-kind") == "warn"
        assert "by Olga Organiser (Main entrance)" in page.locator("#result-detail").inner_text()

        wedge_scan(page, door["other_event_url"])
        result.locator("text=Badge of another event").wait_for()
        assert result.get_attribute("data-kind") == "bad"
        wedge_scan(page, server.url + "/b/" + "Z" * 32)
        result.locator("text=Unknown or revoked badge").wait_for()

        live = db_rows(
            server,
            "SELECT staff_id FROM check_in WHERE attendee_id = ? AND undone_at IS NULL",
            tomas["id"],
        )
        assert live == [(olga_id,)]
        # Nothing sticks out sideways at phone width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # Logging out leaves no copy of the logged-in page behind on the phone.
        wait_offline_ready(page)
        assert page.evaluate("caches.has('known-checkin-pages')")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(lambda url: "/checkin/" not in url)
        assert not page.evaluate("caches.has('known-checkin-pages')")
        assert errors == []
    finally:
        context.close()
        watcher.close()


def test_undo_of_an_offline_scan_takes_it_out_of_the_queue(
    server: KnownServer, door: dict[str, Any], chromium: Any
) -> None:
    priya = door["attendees"][3]
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(10_000)
    try:
        page = log_in(context, server, "olga@door.example.org")
        page.goto(scanner_url(server, door))
        wait_offline_ready(page)
        context.set_offline(True)
        page.locator("#conn[data-state='offline']").wait_for()
        wedge_scan(page, priya["url"])
        page.locator("#result[data-kind='ok']", has_text="Welcome, Priya Raman").wait_for()
        page.locator("#queue-count", has_text="1 queued").wait_for()

        page.locator("#undo").click()
        page.locator("#result", has_text="Scan removed").wait_for()
        page.locator("#queue-count", has_text="0 queued").wait_for()

        # Back online, nothing is sent for Priya: the staff took the scan back.
        context.set_offline(False)
        page.locator("#conn[data-state='online']").wait_for()
        page.wait_for_timeout(1_000)
        assert db_rows(server, "SELECT count(*) FROM scan WHERE attendee_id = ?", priya["id"]) == [
            (0,)
        ]
        # And offline again, the phone no longer counts her as admitted here (an undo also
        # ends the 2-second window in which a re-read of the same badge is ignored).
        context.set_offline(True)
        page.locator("#conn[data-state='offline']").wait_for()
        wedge_scan(page, priya["url"])
        page.locator("#result[data-kind='ok']", has_text="Welcome, Priya Raman").wait_for()
    finally:
        context.close()
