"""Live: the found person's prompt ("/me"), and the organisers' feed ("/event")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conference.db import utcnow
from conference.events.models import Event
from conference.hunt import service
from conference.network import service as network
from conference.people import service as people
from tests.hunt.conftest import PLAYER


def log_in(client: Any, session: Any, attendee: Any) -> None:
    event = session.get(Event, attendee.event_id)
    token = people.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302


def names(received: list[dict[str, Any]]) -> list[str]:
    return [m["name"] for m in received]


def open_hunt(session: Any, event: Event, **mission: Any) -> Any:
    now = utcnow()
    hunt = service.create_hunt(
        session,
        event=event,
        fields=service.HuntFields("Live", now - timedelta(hours=1), now + timedelta(hours=1)),
        now=now,
    )
    service.add_mission(session, hunt=hunt, fields=service.MissionFields(**mission), now=now)
    session.commit()
    return hunt


def test_me_is_for_logged_in_attendees(
    client: Any, auth: Any, make: Any, socket_client: Any
) -> None:
    assert not socket_client("/me").is_connected("/me")
    organiser = make.account()
    auth.login(organiser)
    assert not socket_client("/me").is_connected("/me")


def test_the_person_found_gets_a_live_prompt_and_the_finder_the_answer(
    client: Any, session: Any, make: Any, socket_client: Any
) -> None:
    event = make.event()
    open_hunt(
        session,
        event,
        title="Datawell",
        kind="trait",
        params={"rule": "company", "company": "Datawell"},
        points=150,
        requires_confirmation=True,
    )
    finder = make.attendee(event, name="Finn Finder", consents=PLAYER)
    maria = make.attendee(event, name="Maria", company="Datawell", consents=PLAYER)
    bystander = make.attendee(event, name="Bystander", consents=PLAYER)
    phones = {}
    for person in (finder, maria, bystander):
        log_in(client, session, person)
        phones[person.name] = socket_client("/me")
        ack = phones[person.name].emit("join", {}, namespace="/me", callback=True)
        assert ack == {"ok": True, "requests": []}
        phones[person.name].get_received("/me")

    network.record_meeting(session, attendee=finder, met=maria, now=utcnow())
    session.commit()
    got = phones["Maria"].get_received("/me")
    assert names(got) == ["confirm_request"]
    request = got[0]["args"][0]
    assert (request["finder"], request["mission"]) == ("Finn Finder", "Datawell")
    assert phones["Bystander"].get_received("/me") == []
    assert phones["Finn Finder"].get_received("/me") == []

    # A phone that joins again (it slept) gets the request in the snapshot.
    log_in(client, session, maria)
    again = socket_client("/me")
    ack = again.emit("join", {}, namespace="/me", callback=True)
    assert [r["completion_id"] for r in ack["requests"]] == [request["completion_id"]]

    service.answer_request(
        session,
        attendee=maria,
        completion_id=request["completion_id"],
        accept=True,
        now=utcnow(),
    )
    session.commit()
    answered = phones["Finn Finder"].get_received("/me")
    assert names(answered) == ["confirm_answered"]
    assert answered[0]["args"][0]["status"] == "done" and answered[0]["args"][0]["points"] == 150


def test_organisers_watch_completions_live_and_only_their_events(
    client: Any, auth: Any, session: Any, make: Any, socket_client: Any
) -> None:
    organiser = make.account()
    event, other_event = make.event(organiser=organiser), make.event(organiser=organiser)
    hunt = open_hunt(session, event, title="Hi", kind="meet_n", params={"n": 1}, points=10)
    auth.login(organiser)
    mine, other = socket_client("/event"), socket_client("/event")
    for sock, ev in ((mine, event), (other, other_event)):
        ack = sock.emit(
            "join", {"event": ev.slug, "audience": "organiser"}, namespace="/event", callback=True
        )
        assert ack == {"ok": True}
        sock.get_received("/event")
    a = make.attendee(event, name="Ada", consents=PLAYER)
    b = make.attendee(event, name="Bob", consents=PLAYER)
    network.record_meeting(session, attendee=a, met=b, now=utcnow())
    session.commit()
    feed = [m for m in mine.get_received("/event") if m["name"] == "hunt_completion"]
    assert [(f["args"][0]["attendee"], f["args"][0]["hunt_id"]) for f in feed] == [("Ada", hunt.id)]
    assert [m for m in other.get_received("/event") if m["name"] == "hunt_completion"] == []
