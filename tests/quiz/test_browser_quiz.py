"""A whole live quiz in real browsers: host console, projector and three phones, to the podium.

A real ``python app.py`` on a temporary SQLite file; an event, five attendees and a quiz of three
questions (single choice, multiple select, a people question) are created by a subprocess with
the server's environment. Playwright drives Debian's Chromium: the host at 1280 x 800, the
projector at 1280 x 720 and three phones at 390 x 844, each in its own browser context. One
phone is an attendee who joins as herself with one tap; two are guests with nicknames. Every
phone answers every question, one of them wrongly; the host clicks through to the podium.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path
from tests.servers import DEMO_PASSWORD, ROOT, KnownServer

pytestmark = pytest.mark.browser

HOST_VIEW = {"viewport": {"width": 1280, "height": 800}}
SCREEN_VIEW = {"viewport": {"width": 1280, "height": 720}}
ORGANISER = "organiser@example.org"
# The projector's clock runs an hour fast and one phone's ten minutes slow: countdowns must come
# from the server's clock (closes_at and the ping offset), never from the device's alone.
SKEW_SCRIPT = "(() => { const now = Date.now.bind(Date); Date.now = () => now() + %d; })();"
COLOURS = ["#e21b3c", "#1368ce", "#d89e00", "#26890c", "#864cbf", "#0aa3a3"]


PEOPLE = [
    ("Maria Santos", "maria@example.com", "Lisbon Labs", "x:@maria_dev"),
    ("Priya Raman", "priya@example.com", "OpenMed", "x:@priya_ml"),
    ("Grace Kim", "grace@example.com", "Seoul Apps", "github:gracekim"),
    ("Diego Alves", "diego@example.com", "Rio Fintech", "x:@diegoalves"),
    ("Lukas Nowak", "lukas@example.com", "Warsaw Data", "github:lukasnowak"),
]


def build_scenario() -> None:
    """(Run in a subprocess with the server's environment.) Create the event, its people and a
    three-question quiz run; print what the test needs as JSON."""
    import io
    from datetime import date

    from PIL import Image, ImageDraw

    from conference import create_app
    from conference.accounts import service as accounts
    from conference.db import utcnow
    from conference.events import service as events
    from conference.extensions import db
    from conference.people import service as people
    from conference.people.handles import parse_handle
    from conference.quiz import people_round
    from conference.quiz import service as quiz

    app = create_app()
    with app.app_context():
        db.create_all()  # tables a migration does not carry yet; a no-op once it does
        session = db.session()
        now = utcnow()
        organiser = accounts.create_account(
            session, email=ORGANISER, name="Olga Organiser", password=DEMO_PASSWORD
        )
        event = events.create_event(
            session,
            organiser=organiser,
            fields=events.EventFields(
                name="Quiz Conf",
                slug="quizconf",
                starts_on=date(2026, 9, 1),
                ends_on=date(2026, 9, 2),
            ),
        )
        attendees = []
        for n, (name, email, company, handle) in enumerate(PEOPLE):
            platform, text = handle.split(":", 1)
            person = people.create_attendee(
                session,
                event=event,
                profile=people.Profile(name=name, email=email, company=company),
                handles=[parse_handle(text, platform)],
                consents=people.Consents(card=True, game=True, leaderboard=True),
            )
            # A picture for everyone, so the people question shows faces.
            image = Image.new("RGB", (256, 256), COLOURS[n % len(COLOURS)])
            ImageDraw.Draw(image).ellipse((64, 40, 192, 168), fill="#ffe0bd")
            ImageDraw.Draw(image).ellipse((40, 170, 216, 320), fill="#ffe0bd")
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            people.set_avatar(session, attendee=person, upload=buffer.getvalue(), now=now)
            attendees.append(person)
        q = quiz.create_quiz(session, event=event, title="Browser Quiz", allow_guests=True)
        quiz.add_question(
            session,
            quiz=q,
            fields=quiz.QuestionFields(
                type="single",
                prompt="Which planet is called the Red Planet?",
                options=["Venus", "Mars", "Jupiter", "Saturn"],
                correct=[1],
                time_limit=90,
            ),
        )
        quiz.add_question(
            session,
            quiz=q,
            fields=quiz.QuestionFields(
                type="multiple",
                prompt="Which of these are programming languages?",
                options=["Python", "Banana", "Rust", "Granite"],
                correct=[0, 2],
                time_limit=90,
            ),
        )
        people_round.add_people_round(session, quiz=q, count=1, now=now, seed=7, time_limit=90)
        run = quiz.create_run(session, quiz=q, now=now, created_by_id=organiser.id)
        player = attendees[0]
        token = people.issue_login_link(session, attendee=player, event=event, now=now)
        session.commit()
        print(
            json.dumps(
                {
                    "slug": event.slug,
                    "run_id": run.id,
                    "pin": run.pin,
                    "attendee": player.name,
                    "login_path": f"/e/{event.slug}/login/{token}",
                    "questions": [
                        {"type": rq.type, "options": rq.options, "correct": rq.correct}
                        for rq in run.questions
                    ],
                }
            )
        )


@pytest.fixture(scope="module")
def quiz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KnownServer, Any]]:
    """A real server with the demo event and a fresh three-question quiz run."""
    server = KnownServer(workdir=Path(tmp_path_factory.mktemp("quiz-browser")))
    server.workdir.mkdir(parents=True, exist_ok=True)
    server.flask("db", "upgrade")
    result = subprocess.run(
        [sys.executable, "-c", "from tests.quiz.test_browser_quiz import build_scenario as b; b()"],
        cwd=ROOT,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"creating the quiz failed:\n{result.stderr}")
    scenario = json.loads(result.stdout.strip().splitlines()[-1])
    server.start()
    yield server, scenario
    server.stop()


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, driven by the session's Playwright."""
    chromium = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


def _first_load_fails(page: Any, pattern: str) -> list[str]:
    """Make the page's first request matching ``pattern`` fail; returns what was dropped."""
    dropped: list[str] = []

    # One parameter: Playwright passes the request as well to a handler that takes two.
    def handler(route: Any) -> None:
        if dropped:
            route.continue_()
        else:
            dropped.append(route.request.url)
            route.abort()

    page.route(pattern, handler)
    return dropped


def _watch(page: Any, errors: list[str], name: str) -> Any:
    page.on("console", lambda m: errors.append(f"{name}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{name}: {e}"))
    return page


def _log_in(page: Any, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("E-mail").fill(ORGANISER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="My events").wait_for()


def _points(phone: Any) -> int:
    text = phone.locator("[data-result-points]").inner_text()
    match = re.search(r"\+\s*([\d,]+)", text)
    return int(match.group(1).replace(",", "")) if match else 0


def test_host_projector_and_three_phones_play_to_the_podium(
    quiz_server: tuple[KnownServer, Any], browser: Any, tmp_path: Path
) -> None:
    server, scenario = quiz_server
    url, pin, slug, run_id = server.url, scenario["pin"], scenario["slug"], scenario["run_id"]
    errors: list[str] = []
    contexts = []

    def context(**options: Any) -> Any:
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx

    try:
        host = _watch(context(**HOST_VIEW).new_page(), errors, "host")
        _log_in(host, url)
        host.goto(f"{url}/organiser/events/{slug}/quiz-runs/{run_id}/host")
        screen_link = host.get_by_role("link", name="Open projector screen")
        assert screen_link.get_attribute("target") == "_blank"

        screen_context = context(**SCREEN_VIEW)
        screen_context.add_init_script(SKEW_SCRIPT % 3_600_000)
        screen = _watch(screen_context.new_page(), errors, "screen")
        _log_in(screen, url)
        screen.goto(url + screen_link.get_attribute("href"))
        screen.locator(".scene-lobby .pin").get_by_text(f"{pin[:3]} {pin[3:]}").wait_for()
        assert screen.locator(".lobby-qr img").get_attribute("src").startswith("data:image/svg+xml")
        assert screen.locator(".lobby-url").inner_text().endswith("/q")

        # The attendee logs in with her private link, types the PIN and joins with one tap.
        maria_context = context(**PHONE)
        maria_context.add_init_script(SKEW_SCRIPT % -600_000)
        maria = _watch(maria_context.new_page(), errors, "attendee")
        sockets: list[str] = []
        maria.on("websocket", lambda ws: sockets.append(ws.url))
        maria.goto(url + scenario["login_path"])
        maria.goto(url + "/q")
        maria.get_by_label("Game PIN").fill(pin)
        maria.get_by_role("button", name="Enter").click()
        maria.get_by_role("button", name=f"Join as {scenario['attendee']}").click()
        maria.get_by_text("You're in!").wait_for()
        # Straight onto a WebSocket, carrying the tab's key that nginx keeps one client on one
        # process by (deploy/nginx.conf), so phones behind one venue NAT still spread.
        engine = [parse_qs(urlsplit(u).query) for u in sockets if "/socket.io/" in u]
        assert engine and engine[0]["transport"] == ["websocket"] and engine[0]["k"][0]

        guests = []
        for nickname in ("Quizzy", "Nova"):
            phone = _watch(context(**PHONE).new_page(), errors, nickname)
            # Nova taps "Join" before the page's script has arrived (its first load fails): the
            # form goes to the server as a plain GET and the reloaded page joins her.
            dropped = (
                _first_load_fails(phone, "**/static/js/quiz-play.js") if nickname == "Nova" else []
            )
            phone.goto(f"{url}/q/{pin}")
            phone.get_by_label("Your nickname").fill(nickname)
            phone.get_by_role("button", name="Join", exact=True).click()
            phone.get_by_text("You're in!").wait_for()
            if dropped:
                assert phone.url == f"{url}/q/{pin}"  # the nickname left the address bar
                errors.remove(f"{nickname}: Failed to load resource: net::ERR_FAILED")
            guests.append(phone)
        phones = [maria, *guests]
        names = [scenario["attendee"], "Quizzy", "Nova"]

        # The projector and the host see everyone arrive.
        screen.locator(".lobby-count-num").get_by_text("3", exact=True).wait_for()
        for name in names:
            screen.locator(".name-chip", has_text=name).wait_for()
            host.locator(".host-player-name", has_text=name).wait_for()
        maria.screenshot(path=str(tmp_path / "phone-lobby.png"))
        screen.screenshot(path=str(tmp_path / "screen-lobby.png"))

        host.get_by_role("button", name="Start quiz").click()
        # Who answers what: phone index -> right answer or not, per question (one wrong each).
        wrong_by_question = [2, 1, 2]
        totals = [0, 0, 0]
        for n, question in enumerate(scenario["questions"]):
            screen.locator(".scene-question .q-progress").get_by_text(f"{n + 1} / 3").wait_for()
            # 90 s questions: a countdown from the skewed device clock would read 0 (or 690).
            seconds = int(screen.locator(".q-timer-num").inner_text())
            assert 60 <= seconds <= 90, seconds
            maria.locator(".answer").first.wait_for()
            assert 60 <= int(maria.locator(".phone-timer").first.inner_text()) <= 90
            correct = question["correct"]
            options = question["options"]
            wrong = next(i for i in range(len(options)) if i not in correct)
            for p, phone in enumerate(phones):
                phone.locator(".answer").first.wait_for()
                picks = [wrong] if p == wrong_by_question[n] else correct
                if question["type"] == "multiple":
                    for i in picks:
                        phone.locator(f'.answer[data-i="{i}"]').click()
                    phone.locator("[data-submit-multiple]").click()
                else:
                    phone.locator(f'.answer[data-i="{picks[0]}"]').click()
                if p < 2:  # the last answer closes the question at once
                    phone.get_by_text("Locked in ✓").wait_for()
            # Everyone answered: the question closes by itself and the reveal reaches all.
            screen.locator(".scene-question.is-revealed").wait_for()
            for i in correct:
                screen.locator(f'.q-options .opt[data-i="{i}"].is-correct').wait_for()
            assert screen.locator(".chart .bar").count() == len(options)
            if question["type"] == "people":
                screen.get_by_text("Stand up and wave!").wait_for()
                assert screen.locator(".person-avatar").count() == 1
            for p, phone in enumerate(phones):
                title = "Wrong" if p == wrong_by_question[n] else "Correct!"
                phone.locator("[data-result-title]").get_by_text(title, exact=True).wait_for()
                points = _points(phone)
                assert (points == 0) == (p == wrong_by_question[n]), (n, p, points)
                totals[p] += points
                assert re.search(r"You're in \d+(st|nd|rd|th) place", phone.inner_text("body"))
            if n == 0:
                screen.screenshot(path=str(tmp_path / "screen-reveal.png"))
                guests[1].screenshot(path=str(tmp_path / "phone-result.png"))

            host.get_by_role("button", name="Show leaderboard").click()
            screen.locator(".scene-leaderboard .lb-row").nth(2).wait_for()
            ranking = sorted(range(3), key=lambda i: -totals[i])
            shown = screen.locator(".lb-row .lb-name").all_inner_texts()
            assert shown == [names[i] for i in ranking]
            scores = [
                int(s.replace(",", "")) for s in screen.locator(".lb-score").all_inner_texts()
            ]
            assert scores == [totals[i] for i in ranking]
            last = n == len(scenario["questions"]) - 1
            host.get_by_role("button", name="Show the podium" if last else "Next question").click()

        # The podium: the order and the scores the phones were told, with confetti.
        screen.locator(".scene-podium .place-1 .place-name").wait_for()
        ranking = sorted(range(3), key=lambda i: -totals[i])
        for place, i in enumerate(ranking, start=1):
            name = screen.locator(f".place-{place} .place-name").inner_text()
            assert name == names[i]
            score = screen.locator(f".place-{place} .place-score").inner_text()
            assert score == f"{totals[i]:,} pts"
        assert screen.locator("canvas.confetti").count() == 1
        assert screen.locator("canvas.confetti").is_visible()
        winner = phones[ranking[0]]
        winner.get_by_text("You finished 1st!").wait_for()
        host.get_by_text("The quiz has ended").wait_for()
        screen.screenshot(path=str(tmp_path / "screen-podium.png"))
        assert errors == []
    finally:
        for ctx in contexts:
            ctx.close()
