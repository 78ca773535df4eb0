"""The live quiz pages: host console, projector, PIN entry and the phone's join page."""

from __future__ import annotations

import base64
from typing import Any

from conference.db import utcnow
from conference.people import service as people
from conference.quiz import service
from tests.quiz.helpers import consenting


def _run(kit: Any, make: Any) -> tuple[Any, Any, Any]:
    organiser = make.account()
    event = make.event(organiser=organiser)
    run = kit.run(kit.quiz(event))
    return organiser, event, run


def _login_attendee(client: Any, session: Any, event: Any, attendee: Any) -> None:
    token = people.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302


def test_host_console_and_projector_show_pin_join_url_and_qr(
    client: Any, auth: Any, kit: Any, make: Any
) -> None:
    organiser, event, run = _run(kit, make)
    auth.login(organiser)
    for page in ("host", "screen"):
        response = client.get(f"/organiser/events/{event.slug}/quiz-runs/{run.id}/{page}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'data-pin="{run.pin}"' in html
        assert f'data-run-id="{run.id}"' in html
        assert f'data-join-url="http://known.test/q/{run.pin}"' in html
        # The QR is an inline SVG image of the join URL (no request to a third party).
        qr = html.split('data-qr="data:image/svg+xml;base64,', 1)[1].split('"', 1)[0]
        assert base64.b64decode(qr).startswith(b"<svg")
        assert "<script>" not in html and "style=" not in html  # CSP: no inline code
    host = client.get(f"/organiser/events/{event.slug}/quiz-runs/{run.id}/host")
    html = host.get_data(as_text=True)
    assert f"/organiser/events/{event.slug}/quiz-runs/{run.id}/screen" in html
    assert 'target="_blank"' in html
    assert "js/quiz-host.js" in html
    assert "js/quiz-screen.js" in client.get(
        f"/organiser/events/{event.slug}/quiz-runs/{run.id}/screen"
    ).get_data(as_text=True)


def test_live_pages_are_for_the_events_organisers_only(
    client: Any, auth: Any, kit: Any, make: Any, session: Any
) -> None:
    _organiser, event, run = _run(kit, make)
    urls = [
        f"/organiser/events/{event.slug}/quiz-runs/{run.id}/host",
        f"/organiser/events/{event.slug}/quiz-runs/{run.id}/screen",
    ]
    for url in urls:  # not logged in: the login page
        assert client.get(url).status_code == 302
    staff = make.member(event, role="staff")
    auth.login(staff)
    for url in urls:
        assert client.get(url).status_code == 403
    auth.logout()
    other = make.account()
    make.event(organiser=other)
    auth.login(other)
    for url in urls:
        assert client.get(url).status_code == 403
    auth.logout()
    attendee = make.attendee(event, name="Ana Attendee")
    _login_attendee(client, session, event, attendee)
    for url in urls:
        assert client.get(url).status_code == 403


def test_a_run_of_another_event_is_not_found(client: Any, auth: Any, kit: Any, make: Any) -> None:
    organiser, event, _run_here = _run(kit, make)
    _other_organiser, other_event, other_run = _run(kit, make)
    auth.login(organiser)
    # The organiser's own event in the URL, someone else's run id: no peeking.
    url = f"/organiser/events/{event.slug}/quiz-runs/{other_run.id}/screen"
    assert client.get(url).status_code == 404
    assert client.get(f"/organiser/events/{event.slug}/quiz-runs/99999/host").status_code == 404
    assert other_event.slug != event.slug


def test_pin_entry_sends_a_valid_pin_to_its_join_page(client: Any, kit: Any, make: Any) -> None:
    _organiser, _event, run = _run(kit, make)
    page = client.get("/q")
    assert page.status_code == 200
    assert 'inputmode="numeric"' in page.get_data(as_text=True)
    spaced = f"{run.pin[:3]} {run.pin[3:]}"
    response = client.get("/q", query_string={"pin": spaced})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/q/{run.pin}")
    bad = client.get("/q", query_string={"pin": "12ab"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "6 digits" in html
    assert 'value="12ab"' in html  # what was typed stays in the field


def test_unknown_pin_says_so(client: Any, kit: Any, make: Any) -> None:
    _organiser, _event, run = _run(kit, make)
    unknown = "000000" if run.pin != "000000" else "111111"
    response = client.get(f"/q/{unknown}")
    assert response.status_code == 404
    assert "There is no quiz with PIN" in response.get_data(as_text=True)
    assert client.get("/q/abc").status_code == 404


def test_guest_join_page_asks_for_a_nickname(client: Any, kit: Any, make: Any) -> None:
    _organiser, event, run = _run(kit, make)
    response = client.get(f"/q/{run.pin}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Your nickname" in html
    assert f'data-pin="{run.pin}"' in html and f'data-run-id="{run.id}"' in html
    assert f"/e/{event.slug}/login" in html  # attendees are told how to play as themselves
    assert "js/quiz-play.js" in html


def test_attendee_joins_with_one_tap_under_the_name_the_screen_will_show(
    client: Any, kit: Any, make: Any, session: Any
) -> None:
    _organiser, event, run = _run(kit, make)
    maria = consenting(make, event, "Maria Santos")
    _login_attendee(client, session, event, maria)
    html = client.get(f"/q/{run.pin}").get_data(as_text=True)
    assert "Join as Maria Santos" in html
    assert "Your nickname" not in html
    assert "you will show as" not in html

    shy = make.attendee(event, name="Shy Person", email="shy@example.org")
    client.post("/logout")
    _login_attendee(client, session, event, shy)
    html = client.get(f"/q/{run.pin}").get_data(as_text=True)
    assert "Join as Shy Person" in html
    # Not named on leaderboards: the phone says how the big screen will show them.
    assert f"you will show as “Player {shy.id}”" in html


def test_attendee_of_another_event_joins_as_a_guest(
    client: Any, kit: Any, make: Any, session: Any
) -> None:
    _organiser, _event, run = _run(kit, make)
    other_event = make.event(organiser=make.account())
    stranger = make.attendee(other_event, name="Stranger Danger")
    _login_attendee(client, session, other_event, stranger)
    html = client.get(f"/q/{run.pin}").get_data(as_text=True)
    assert "Join as" not in html
    assert "Your nickname" in html


def test_quiz_for_attendees_only_tells_guests_to_log_in(
    client: Any, kit: Any, make: Any, session: Any
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    run = kit.run(kit.quiz(event, allow_guests=False))
    html = client.get(f"/q/{run.pin}").get_data(as_text=True)
    assert "This quiz is for attendees" in html
    assert "Your nickname" not in html
    assert f"/e/{event.slug}/login" in html


def test_ended_run_page_still_opens_for_the_podium(
    client: Any, kit: Any, make: Any, session: Any
) -> None:
    _organiser, _event, run = _run(kit, make)
    service.end(session, run=run, now=utcnow())
    session.commit()
    response = client.get(f"/q/{run.pin}")
    assert response.status_code == 200
    assert "This quiz has ended." in response.get_data(as_text=True)
