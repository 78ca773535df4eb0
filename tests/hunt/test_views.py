"""The hunt over HTTP: who may do what, the editor, posters, the feed, missions, /h/<token>."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from conference.badges import service as badges
from conference.db import utcnow
from conference.events.models import Event
from conference.hunt import service
from conference.hunt.models import DONE, PENDING, VOIDED, Hunt, Mission, MissionCompletion
from conference.people import service as people
from conference.scoring.models import PointsEntry
from tests.hunt.conftest import PLAYER, png


def visible(html: str) -> str:
    """The page's text, tags and extra whitespace removed."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


def log_in(client: Any, session: Any, attendee: Any) -> None:
    event = session.get(Event, attendee.event_id)
    token = people.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302


@pytest.fixture
def organiser(make: Any) -> Any:
    return make.account(name="Olga Organiser")


@pytest.fixture
def event(make: Any, organiser: Any) -> Event:
    return make.event(organiser=organiser, slug="hunt-conf", timezone="Europe/Berlin")


@pytest.fixture
def live_hunt(session: Any, event: Event) -> Hunt:
    """A hunt open now (real time: views use the clock)."""
    now = utcnow()
    hunt = service.create_hunt(
        session,
        event=event,
        fields=service.HuntFields("Live hunt", now - timedelta(hours=1), now + timedelta(hours=4)),
        now=now,
    )
    session.commit()
    return hunt


def mission(session: Any, hunt: Hunt, kind: str, params: dict[str, Any], **fields: Any) -> Mission:
    fields.setdefault("title", f"{kind} mission")
    fields.setdefault("points", 100)
    created = service.add_mission(
        session,
        hunt=hunt,
        fields=service.MissionFields(kind=kind, params=params, **fields),
        now=utcnow(),
    )
    session.commit()
    return created


def pdf_qr_texts(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[0]
        image = page.render(scale=2).to_pil().convert("L")
        texts = [r.text for r in zxingcpp.read_barcodes(image)]
        page.close()
    finally:
        pdf.close()
    return texts


# --- who may do what ----------------------------------------------------------------------------


def test_organiser_pages_are_for_this_events_organisers_only(
    client: Any, auth: Any, session: Any, make: Any, event: Event, live_hunt: Hunt
) -> None:
    checkpoint = mission(session, live_hunt, "checkpoint", {"place": "Bar"})
    base = f"/organiser/events/{event.slug}/hunts"
    pages = [
        base,
        f"{base}/{live_hunt.id}",
        f"{base}/{live_hunt.id}/missions/new",
        f"{base}/{live_hunt.id}/missions/{checkpoint.id}",
        f"{base}/{live_hunt.id}/missions/{checkpoint.id}/poster.pdf",
        f"{base}/{live_hunt.id}/feed",
    ]
    for path in pages:
        assert client.get(path).status_code == 302  # to the login page
    staff = make.member(event)
    auth.login(staff)
    for path in pages:
        assert client.get(path).status_code == 403, path
    auth.logout()
    auth.login(make.account())  # organises nothing here
    for path in pages:
        assert client.get(path).status_code == 403, path
    auth.logout()
    attendee = make.attendee(event, name="Att")
    log_in(client, session, attendee)
    for path in pages:
        assert client.get(path).status_code == 403, path


def test_another_events_hunt_is_not_found(
    client: Any, auth: Any, session: Any, make: Any, organiser: Any, live_hunt: Hunt
) -> None:
    mine = make.event(organiser=organiser, slug="other-conf")
    auth.login(organiser)
    assert client.get(f"/organiser/events/{mine.slug}/hunts/{live_hunt.id}").status_code == 404
    assert client.get(f"/organiser/events/{mine.slug}/hunts/{live_hunt.id}/feed").status_code == 404


# --- the editor ---------------------------------------------------------------------------------


def test_an_organiser_creates_a_hunt_in_the_events_time_zone(
    client: Any, auth: Any, session: Any, event: Event, organiser: Any
) -> None:
    auth.login(organiser)
    response = client.post(
        f"/organiser/events/{event.slug}/hunts",
        data={"name": "Treasure", "starts_at": "2026-06-01T10:00", "ends_at": "2026-06-01T09:00"},
    )
    assert response.status_code == 422
    assert "The hunt has to end after it starts." in visible(response.get_data(as_text=True))
    assert 'value="Treasure"' in response.get_data(as_text=True)  # input kept
    response = client.post(
        f"/organiser/events/{event.slug}/hunts",
        data={"name": "Treasure", "starts_at": "2026-06-01T10:00", "ends_at": "2026-06-01T18:30"},
    )
    hunt = session.query(Hunt).one()
    assert response.status_code == 302 and response.location.endswith(f"/hunts/{hunt.id}")
    # 10:00 in Berlin (summer time) is 08:00 UTC.
    assert hunt.starts_at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert hunt.ends_at == datetime(2026, 6, 1, 16, 30, tzinfo=UTC)
    page = visible(client.get(response.location).get_data(as_text=True))
    assert "Treasure" in page and "No missions yet." in page


def test_missions_of_every_kind_are_added_through_the_form(
    client: Any, auth: Any, session: Any, make: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    target = make.attendee(event, name="Jonas Target", bio="Rust.", consents=PLAYER)
    shy = make.attendee(event, name="Shy Person", bio="Tea.")
    auth.login(organiser)
    url = f"/organiser/events/{event.slug}/hunts/{live_hunt.id}/missions/new"
    form = client.get(url).get_data(as_text=True)
    assert "Jonas Target" in form and "Shy Person" not in form  # only consenting targets
    assert shy.id
    posts = [
        {"title": "Find Jonas", "kind": "person", "person_id": str(target.id), "clue": "bio"},
        {"title": "Datawell", "kind": "trait", "rule": "company", "company": "Datawell"},
        {"title": "Coffee", "kind": "checkpoint", "place": "Coffee bar"},
        {"title": "Friends", "kind": "known_online", "n": "2"},
        {"title": "New people", "kind": "meet_n", "n": "3"},
    ]
    for data in posts:
        data |= {
            "points": "120",
            "first_bonus": "30",
            "hint_text_0": "Look up",
            "hint_cost_0": "10",
        }
        response = client.post(url, data=data)
        assert response.status_code == 302, visible(response.get_data(as_text=True))
    missions = session.query(Mission).order_by(Mission.position).all()
    assert [(m.title, m.kind, m.points, m.first_bonus) for m in missions] == [
        (d["title"], d["kind"], 120, 30) for d in posts
    ]
    assert missions[0].params == {"attendee_id": target.id, "clue": "bio"}
    assert [h.text for h in missions[2].hints] == ["Look up"]
    page = visible(
        client.get(f"/organiser/events/{event.slug}/hunts/{live_hunt.id}").get_data(as_text=True)
    )
    assert "Meet someone who works at Datawell." in page and "Print poster (PDF)" in page
    assert "Find Jonas Target from their bio: “Rust.”" in page  # organisers see who it is


def test_an_invalid_mission_is_explained_and_keeps_the_input(
    client: Any, auth: Any, session: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    auth.login(organiser)
    url = f"/organiser/events/{event.slug}/hunts/{live_hunt.id}/missions/new"
    response = client.post(
        url,
        data={
            "title": "Meet many",
            "kind": "meet_n",
            "n": "3",
            "points": "50",
            "requires_confirmation": "y",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "can ask that person to confirm" in visible(page)
    assert 'value="Meet many"' in page
    assert session.query(Mission).count() == 0


def test_editing_and_deleting_missions(
    client: Any, auth: Any, session: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    m = mission(session, live_hunt, "meet_n", {"n": 2}, title="Two")
    auth.login(organiser)
    base = f"/organiser/events/{event.slug}/hunts/{live_hunt.id}/missions/{m.id}"
    page = client.get(base).get_data(as_text=True)
    assert 'value="Two"' in page
    response = client.post(
        base, data={"title": "Three", "kind": "meet_n", "n": "3", "points": "75"}
    )
    assert response.status_code == 302
    session.refresh(m)
    assert (m.title, m.params, m.points) == ("Three", {"n": 3}, 75)
    assert client.post(f"{base}/delete").status_code == 302
    assert session.query(Mission).count() == 0


def test_the_poster_pdf_encodes_the_checkpoint_url(
    client: Any, auth: Any, session: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    checkpoint = mission(session, live_hunt, "checkpoint", {"place": "Sponsor booth B3"})
    other = mission(session, live_hunt, "meet_n", {"n": 1})
    auth.login(organiser)
    base = f"/organiser/events/{event.slug}/hunts/{live_hunt.id}/missions"
    response = client.get(f"{base}/{checkpoint.id}/poster.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert pdf_qr_texts(response.get_data()) == [f"http://known.test/h/{checkpoint.token}"]
    assert client.get(f"{base}/{other.id}/poster.pdf").status_code == 404


# --- the feed and voiding -----------------------------------------------------------------------


def test_the_feed_lists_completions_and_an_organiser_voids_one(
    client: Any, auth: Any, session: Any, make: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    m = mission(session, live_hunt, "checkpoint", {"place": "Bar"}, title="Bar")
    cheat = make.attendee(event, name="Charlie Cheat", consents=PLAYER)
    service.scan_checkpoint(session, attendee=cheat, mission=m, now=utcnow())
    session.commit()
    completion = session.query(MissionCompletion).one()
    auth.login(organiser)
    feed = f"/organiser/events/{event.slug}/hunts/{live_hunt.id}/feed"
    page = visible(client.get(feed).get_data(as_text=True))
    assert "Charlie Cheat · Bar" in page and "Nothing suspicious so far." in page
    void_url = (
        f"/organiser/events/{event.slug}/hunts/{live_hunt.id}/completions/{completion.id}/void"
    )
    response = client.post(void_url, data={"reason": ""})
    assert (
        response.status_code == 302
        and session.query(PointsEntry).filter_by(source="void").count() == 0
    )
    response = client.post(void_url, data={"reason": "Scanned a photo"}, follow_redirects=True)
    assert "Completion voided" in visible(response.get_data(as_text=True))
    session.refresh(completion)
    assert completion.status == VOIDED
    assert "Voided: Scanned a photo" in visible(client.get(feed).get_data(as_text=True))
    staff = make.member(event)
    auth.logout()
    auth.login(staff)
    assert client.post(void_url, data={"reason": "x"}).status_code == 403


def test_the_feed_flags_suspicious_bursts(
    client: Any, auth: Any, session: Any, make: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    from conference.network import service as network

    fast = make.attendee(event, name="Speedy Gonzales", consents=PLAYER)
    now = utcnow() - timedelta(minutes=5)
    for i in range(10):
        other = make.attendee(event, name=f"Victim {i}")
        network.record_meeting(
            session, attendee=fast, met=other, now=now + timedelta(seconds=5 * i)
        )
    session.commit()
    auth.login(organiser)
    page = visible(
        client.get(f"/organiser/events/{event.slug}/hunts/{live_hunt.id}/feed").get_data(
            as_text=True
        )
    )
    assert "Speedy Gonzales 10 meetings from" in page


# --- attendees ----------------------------------------------------------------------------------


def test_my_missions_show_clues_not_names_and_hints_cost_points(
    client: Any, session: Any, make: Any, event: Event, live_hunt: Hunt
) -> None:
    target = make.attendee(
        event, name="Jonas Hidden", bio="Rust on microcontrollers.", consents=PLAYER
    )
    people.set_avatar(session, attendee=target, upload=png(), now=utcnow())
    session.commit()
    bio = mission(
        session,
        live_hunt,
        "person",
        {"attendee_id": target.id, "clue": "bio"},
        title="The Rustacean",
        hints=[("Kiel", 25)],
    )
    pic = mission(
        session, live_hunt, "person", {"attendee_id": target.id, "clue": "avatar"}, title="The face"
    )
    me = make.attendee(event, name="Me Player", consents=PLAYER)
    log_in(client, session, me)
    html = client.get(f"/e/{event.slug}/hunt").get_data(as_text=True)
    page = visible(html)
    assert "Rust on microcontrollers." in page and "The Rustacean" in page
    assert "Jonas" not in page and "Hidden" not in page
    assert "/b/" not in html  # no badge link could tell who it is
    picture = client.get(f"/e/{event.slug}/hunt/missions/{pic.id}/clue")
    assert picture.status_code == 200 and picture.mimetype.startswith("image/")
    assert client.get(f"/e/{event.slug}/hunt/missions/{bio.id}/clue").status_code == 404

    hint = bio.hints[0]
    response = client.post(f"/e/{event.slug}/hunt/hints/{hint.id}", follow_redirects=True)
    page = visible(response.get_data(as_text=True))
    assert "Hint revealed (−25 points)." in page and "Hint 1 Kiel" in page  # noqa: RUF001
    entry = session.query(PointsEntry).filter_by(attendee_id=me.id).one()
    assert (entry.points, entry.scope) == (-25, live_hunt.scope)


def test_attendee_pages_need_an_attendee_of_the_event(
    client: Any, session: Any, make: Any, event: Event, live_hunt: Hunt
) -> None:
    target = make.attendee(event, name="T", bio="b", consents=PLAYER)
    m = mission(
        session, live_hunt, "person", {"attendee_id": target.id, "clue": "bio"}, hints=[("h", 5)]
    )
    assert client.get(f"/e/{event.slug}/hunt").status_code == 302
    outsider = make.attendee(make.event(), name="Outsider")
    log_in(client, session, outsider)
    assert client.get(f"/e/{event.slug}/hunt").status_code == 302
    assert client.post(f"/e/{event.slug}/hunt/hints/{m.hints[0].id}").status_code == 302
    other_slug = session.get(Event, outsider.event_id).slug
    assert client.post(f"/e/{other_slug}/hunt/hints/{m.hints[0].id}").status_code == 404
    assert session.query(PointsEntry).count() == 0


def test_opening_a_badge_shows_mission_complete_on_the_meeting_card(
    client: Any, session: Any, make: Any, event: Event, live_hunt: Hunt
) -> None:
    mission(session, live_hunt, "meet_n", {"n": 1}, title="Say hello", points=60)
    me = make.attendee(event, name="Me", consents=PLAYER)
    other = make.attendee(event, name="Other Person", consents=PLAYER)
    token = badges.ensure_badge(session, attendee=other, now=utcnow()).token
    session.commit()
    log_in(client, session, me)
    page = visible(client.get(f"/b/{token}").get_data(as_text=True))
    assert "Mission complete: Say hello (+60)" in page
    page = visible(client.get(f"/b/{token}").get_data(as_text=True))
    assert "Mission complete" not in page  # a repeated scan earns nothing new
    home = visible(client.get(f"/e/{event.slug}/me").get_data(as_text=True))
    assert "Live hunt" in home and "#1" in home


def test_the_found_person_confirms_from_their_home_page(
    client: Any, session: Any, make: Any, event: Event, live_hunt: Hunt
) -> None:
    mission(
        session,
        live_hunt,
        "trait",
        {"rule": "company", "company": "Datawell"},
        title="Datawell",
        requires_confirmation=True,
    )
    me = make.attendee(event, name="Me Finder", consents=PLAYER)
    maria = make.attendee(event, name="Maria", company="Datawell", consents=PLAYER)
    token = badges.ensure_badge(session, attendee=maria, now=utcnow()).token
    session.commit()
    log_in(client, session, me)
    card = visible(client.get(f"/b/{token}").get_data(as_text=True))
    assert "Mission pending: Datawell — Maria confirms on their phone" in card
    completion = session.query(MissionCompletion).one()
    assert completion.status == PENDING
    url = f"/e/{event.slug}/hunt/requests/{completion.id}"
    # The finder cannot confirm for them.
    assert client.post(url, data={"answer": "confirm"}).status_code == 404

    log_in(client, session, maria)  # now on Maria's phone
    home = visible(client.get(f"/e/{event.slug}/me").get_data(as_text=True))
    assert "Me Finder says they found you for “Datawell”" in home
    response = client.post(
        url, data={"answer": "confirm", "next": f"/e/{event.slug}/me"}, follow_redirects=True
    )
    assert "You confirmed it" in visible(response.get_data(as_text=True))
    session.refresh(completion)
    assert completion.status == DONE and completion.points == 100
    again = client.post(url, data={"answer": "decline"}, headers={"Accept": "application/json"})
    assert again.get_json() == {"ok": True, "status": DONE}  # answered already


# --- checkpoints --------------------------------------------------------------------------------


def test_a_checkpoint_poster_completes_for_attendees_and_explains_itself_to_others(
    client: Any, auth: Any, session: Any, make: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    m = mission(
        session,
        live_hunt,
        "checkpoint",
        {"place": "Bar"},
        title="The bar",
        points=40,
        first_bonus=10,
    )
    url = f"/h/{m.token}"
    page = visible(client.get(url).get_data(as_text=True))
    assert "You found a checkpoint!" in page and "Log in" in page
    assert client.get("/h/not-a-token").status_code == 404

    auth.login(organiser)
    assert "This poster works" in visible(client.get(url).get_data(as_text=True))
    auth.logout()

    outsider = make.attendee(make.event(), name="Outsider")
    log_in(client, session, outsider)
    assert "another event" in visible(client.get(url).get_data(as_text=True))

    me = make.attendee(event, name="Me", consents=PLAYER)
    log_in(client, session, me)
    first = client.get(url)
    assert first.headers["Cache-Control"] == "private, no-cache"
    page = visible(first.get_data(as_text=True))
    assert "Mission complete!" in page and "+50" in page and "You were the first" in page
    assert "You were here already" in visible(client.get(url).get_data(as_text=True))
    assert session.query(MissionCompletion).filter_by(attendee_id=me.id).count() == 1


def test_checkpoint_scans_are_rate_limited_per_attendee(
    client: Any, session: Any, make: Any, event: Event, live_hunt: Hunt
) -> None:
    m = mission(session, live_hunt, "checkpoint", {"place": "Bar"})
    me = make.attendee(event, name="Me", consents=PLAYER)
    log_in(client, session, me)
    statuses = [client.get(f"/h/{m.token}").status_code for _ in range(13)]
    assert statuses[:12] == [200] * 12 and statuses[12] == 429
    assert "Too many attempts" in visible(client.get(f"/h/{m.token}").get_data(as_text=True))


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_state_changes_need_the_csrf_token(
    client: Any, auth: Any, session: Any, make: Any, event: Event, organiser: Any, live_hunt: Hunt
) -> None:
    m = mission(session, live_hunt, "meet_n", {"n": 1}, hints=[("h", 5)])
    me = make.attendee(event, name="Me", consents=PLAYER)
    log_in(client, session, me)
    assert client.post(f"/e/{event.slug}/hunt/hints/{m.hints[0].id}").status_code == 400
    assert session.query(PointsEntry).count() == 0
