"""Completion once, first-finder bonus, hints, confirmation, void, bursts and time windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conference.db import DomainEvent, add_publisher, pending_events, remove_publisher
from conference.hunt import service
from conference.hunt.models import (
    DECLINED,
    DONE,
    PENDING,
    VOIDED,
    HintReveal,
    MissionCompletion,
)
from conference.people import service as people
from conference.scoring import service as scoring
from conference.scoring.models import PointsEntry
from tests.hunt.conftest import T0, add, meet


def total(session: Any, attendee: Any, scope: str | None = None) -> int:
    conditions = [PointsEntry.attendee_id == attendee.id]
    if scope is not None:
        conditions.append(PointsEntry.scope == scope)
    return int(session.scalar(sa.select(sa.func.sum(PointsEntry.points)).where(*conditions)) or 0)


def hunt_points(session: Any, attendee: Any, hunt: Any) -> int:
    return total(session, attendee, hunt.scope)


@pytest.fixture
def published() -> Any:
    seen: list[DomainEvent] = []
    add_publisher(seen.extend)
    yield seen
    remove_publisher(seen.extend)


# --- completing once ----------------------------------------------------------------------------


def test_a_mission_completes_once_per_attendee(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "trait", {"rule": "company", "company": "Datawell"}, points=150)
    me, maria, ana = (
        player("Me"),
        player("Maria", company="Datawell"),
        player("Ana", company="Datawell"),
    )
    first = meet(session, me, maria)
    assert first.messages == ["Mission complete: trait mission (+150)"]
    again = meet(session, me, ana)  # another match: the mission is done already
    assert again.created and again.messages == []
    assert hunt_points(session, me, hunt) == 150
    assert session.query(MissionCompletion).count() == 1


def test_the_database_refuses_a_second_completion_row(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    mission = add(session, hunt, "meet_n", {"n": 1})
    me, other = player("Me"), player("Other")
    meet(session, me, other)
    session.add(
        MissionCompletion(
            event_id=event.id, hunt_id=hunt.id, mission_id=mission.id, attendee_id=me.id
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_completing_a_mission_twice_in_the_service_pays_once(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    """Two evaluations racing past the "open missions" query: the unique insert decides."""
    mission = add(session, hunt, "checkpoint", {"place": "Bar"})
    me = player("Me")
    from conference.hunt.missions import Context

    ctx = Context(event=event, attendee=me, mission=mission, now=T0, checkpoint=mission)
    first = service._complete(session, mission=mission, attendee=me, context=ctx, now=T0)
    second = service._complete(session, mission=mission, attendee=me, context=ctx, now=T0)
    session.commit()
    assert first is not None and second is None
    assert hunt_points(session, me, hunt) == 100


def test_the_first_finder_bonus_goes_to_the_first_only(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    mission = add(session, hunt, "meet_n", {"n": 1}, title="Say hi", points=50, first_bonus=25)
    a, b, c = player("A"), player("B"), player("C")
    first = meet(session, a, c)
    second = meet(session, b, c)
    assert first.messages == ["Mission complete: Say hi (+50) · first to find it: +25"]
    assert second.messages == ["Mission complete: Say hi (+50)"]
    assert (hunt_points(session, a, hunt), hunt_points(session, b, hunt)) == (75, 50)
    keys = set(
        session.scalars(sa.select(PointsEntry.source_key).where(PointsEntry.source == "hunt"))
    )
    assert keys == {
        service.first_key(mission.id),
        service.mission_key(mission.id, a.id),
        service.mission_key(mission.id, b.id),
    }


def test_points_land_in_the_hunt_scope_and_overall(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "meet_n", {"n": 1}, points=70)
    me, other = player("Me"), player("Other")
    meet(session, me, other)
    board = scoring.leaderboard(session, event_id=event.id, scope=hunt.scope)
    assert [(s.name, s.total) for s in board] == [("Me", 70)]
    # Overall also counts the meeting points the network pays.
    overall = scoring.standing_of(session, event_id=event.id, attendee_id=me.id)
    assert overall is not None and overall.total > 70


# --- time windows -------------------------------------------------------------------------------


def test_missions_complete_only_inside_the_hunt_and_their_own_window(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "meet_n", {"n": 1}, title="Any time")
    add(
        session,
        hunt,
        "meet_n",
        {"n": 1},
        title="Lunch only",
        opens_at=T0 + timedelta(hours=3),
        closes_at=T0 + timedelta(hours=4),
    )
    early, lunch, late = player("Early"), player("Lunch"), player("Late")
    x, y, z = player("X"), player("Y"), player("Z")
    assert meet(session, early, x, at=T0 - timedelta(hours=2)).messages == []  # before the hunt
    assert meet(session, lunch, y, at=T0 + timedelta(hours=3, minutes=5)).messages == [
        "Mission complete: Any time (+100)",
        "Mission complete: Lunch only (+100)",
    ]
    assert meet(session, late, z, at=T0 + timedelta(hours=8)).messages == []  # ends_at: closed
    assert meet(session, x, y, at=T0 + timedelta(hours=5)).messages == [
        "Mission complete: Any time (+100)"
    ]


def test_a_hunt_window_must_be_in_order(session: Any, event: Any) -> None:
    with pytest.raises(service.HuntError) as err:
        service.create_hunt(session, event=event, fields=service.HuntFields("Oops", T0, T0), now=T0)
    assert err.value.code == "bad_window"
    with pytest.raises(service.HuntError):
        service.create_hunt(
            session,
            event=event,
            fields=service.HuntFields(" ", T0, T0 + timedelta(hours=1)),
            now=T0,
        )


def test_mission_settings_are_validated(session: Any, hunt: Any) -> None:
    cases = [
        ({"kind": "nope"}, "invalid_kind"),
        ({"title": "  "}, "title_required"),
        ({"points": -5}, "invalid_points"),
        ({"first_bonus": 10**7}, "invalid_points"),
        ({"requires_confirmation": True}, "no_one_to_confirm"),  # meet_n finds nobody
        ({"opens_at": T0, "closes_at": T0}, "bad_window"),
        ({"hints": [("a", 1), ("b", 1), ("c", 1), ("d", 1)]}, "too_many_hints"),
        ({"hints": [("a", -1)]}, "invalid_points"),
    ]
    for change, code in cases:
        fields: dict[str, Any] = {
            "title": "T",
            "kind": "meet_n",
            "params": {"n": 1},
            "points": 10,
        } | change
        with pytest.raises(service.HuntError) as err:
            service.add_mission(session, hunt=hunt, fields=service.MissionFields(**fields), now=T0)
        assert err.value.code == code, change
        session.rollback()


def test_editing_a_mission_keeps_hint_ids_and_checkpoint_tokens(session: Any, hunt: Any) -> None:
    mission = add(session, hunt, "checkpoint", {"place": "Bar"}, hints=[("Left", 5), ("Up", 5)])
    token, first_hint = mission.token, mission.hints[0].id
    service.update_mission(
        session,
        mission=mission,
        fields=service.MissionFields(
            title="Bar 2",
            kind="checkpoint",
            params={"place": "Bar"},
            points=5,
            hints=[("Right", 9)],
        ),
    )
    session.commit()
    assert mission.token == token
    assert [(h.id, h.text, h.cost) for h in mission.hints] == [(first_hint, "Right", 9)]
    service.update_mission(
        session,
        mission=mission,
        fields=service.MissionFields(title="Now meet", kind="meet_n", params={"n": 2}, points=5),
    )
    session.commit()
    assert mission.token is None and service.mission_by_token(session, token or "") is None


def test_a_mission_with_completions_cannot_be_deleted(session: Any, hunt: Any, player: Any) -> None:
    done = add(session, hunt, "meet_n", {"n": 1})
    unused = add(session, hunt, "checkpoint", {"place": "Roof"})
    meet(session, player("A"), player("B"))
    with pytest.raises(service.HuntError) as err:
        service.delete_mission(session, mission=done)
    assert err.value.code == "has_completions"
    service.delete_mission(session, mission=unused)
    session.commit()
    assert [m.title for m in hunt.missions] == ["meet_n mission"]


# --- hints --------------------------------------------------------------------------------------


def test_revealing_a_hint_costs_its_points_once(session: Any, hunt: Any, player: Any) -> None:
    mission = add(
        session, hunt, "meet_n", {"n": 1}, points=100, hints=[("Look left", 20), ("Free", 0)]
    )
    me, other = player("Me"), player("Other")
    paid, free = mission.hints
    service.reveal_hint(session, attendee=me, hint_id=paid.id, now=T0)
    service.reveal_hint(session, attendee=me, hint_id=paid.id, now=T0)  # a double tap
    service.reveal_hint(session, attendee=me, hint_id=free.id, now=T0)
    session.commit()
    assert hunt_points(session, me, hunt) == -20
    assert session.query(HintReveal).filter_by(attendee_id=me.id).count() == 2
    assert service.revealed_hint_ids(session, attendee_id=me.id) == {paid.id, free.id}
    meet(session, me, other)
    assert hunt_points(session, me, hunt) == 80  # the payout stays what it says; the hint was paid
    with pytest.raises(service.HuntError) as err:
        service.reveal_hint(session, attendee=me, hint_id=paid.id, now=T0)
    assert err.value.code == "already_completed"


def test_hints_are_scoped_to_the_event_and_the_window(
    session: Any, hunt: Any, player: Any, make: Any
) -> None:
    mission = add(session, hunt, "meet_n", {"n": 1}, hints=[("Hint", 5)])
    outsider = make.attendee(make.event(), name="Outsider")
    with pytest.raises(service.HuntError) as err:
        service.reveal_hint(session, attendee=outsider, hint_id=mission.hints[0].id, now=T0)
    assert err.value.code == "not_found"
    with pytest.raises(service.HuntError) as err:
        service.reveal_hint(
            session,
            attendee=player("Late"),
            hint_id=mission.hints[0].id,
            now=T0 + timedelta(days=1),
        )
    assert err.value.code == "mission_closed"


# --- confirmation -------------------------------------------------------------------------------


def test_a_confirmed_find_pays_only_when_the_person_found_confirms(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    mission = add(
        session,
        hunt,
        "trait",
        {"rule": "company", "company": "Datawell"},
        title="Datawell",
        points=150,
        first_bonus=50,
        requires_confirmation=True,
    )
    me, maria = player("Me Seeker"), player("Maria Found", company="Datawell")
    outcome = network_meet_capturing(session, me, maria)
    assert outcome.messages == ["Mission pending: Datawell — Maria confirms on their phone"]
    assert hunt_points(session, me, hunt) == 0
    requests = service.pending_requests(session, attendee=maria)
    assert [(r.mission_title, r.finder_name) for r in requests] == [("Datawell", "Me Seeker")]
    assert service.pending_requests(session, attendee=me) == []

    with pytest.raises(service.HuntError):  # only the person found may answer
        service.answer_request(
            session, attendee=me, completion_id=requests[0].completion_id, accept=True, now=T0
        )
    session.rollback()
    completion = service.answer_request(
        session, attendee=maria, completion_id=requests[0].completion_id, accept=True, now=T0
    )
    session.commit()
    assert completion.status == DONE and (completion.points, completion.bonus) == (150, 50)
    assert hunt_points(session, me, hunt) == 200
    assert hunt_points(session, maria, hunt) == 0
    # Answering again changes nothing.
    service.answer_request(
        session, attendee=maria, completion_id=completion.id, accept=False, now=T0
    )
    session.commit()
    assert completion.status == DONE and hunt_points(session, me, hunt) == 200
    assert mission.id == completion.mission_id


def network_meet_capturing(session: Any, me: Any, met: Any) -> Any:
    """Meet and check the prompt for the person found is queued for after the commit."""
    from conference.network import service as network

    outcome = network.record_meeting(session, attendee=me, met=met, now=T0)
    prompts = [e for e in pending_events(session) if e.name == "confirm_request"]
    assert [(e.room, e.namespace, e.payload["finder"]) for e in prompts] == [
        (f"attendee:{met.id}", "/me", me.name)
    ]
    session.commit()
    return outcome


def test_a_declined_find_can_be_found_again_with_someone_else(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(
        session,
        hunt,
        "trait",
        {"rule": "company", "company": "Datawell"},
        title="Datawell",
        requires_confirmation=True,
    )
    me = player("Me")
    liar, real = player("Not Really", company="Datawell"), player("Real", company="Datawell")
    meet(session, me, liar)
    [request] = service.pending_requests(session, attendee=liar)
    declined = service.answer_request(
        session, attendee=liar, completion_id=request.completion_id, accept=False, now=T0
    )
    session.commit()
    assert declined.status == DECLINED and hunt_points(session, me, hunt) == 0
    assert meet(session, me, real).messages == [
        "Mission pending: Datawell — Real confirms on their phone"
    ]
    [again] = service.pending_requests(session, attendee=real)
    assert again.completion_id == declined.id  # the same row, tried again
    service.answer_request(
        session, attendee=real, completion_id=again.completion_id, accept=True, now=T0
    )
    session.commit()
    assert hunt_points(session, me, hunt) == 100


def test_the_finder_hears_the_answer(session: Any, hunt: Any, player: Any) -> None:
    target = player("Target Person", bio="Tea.")
    add(
        session,
        hunt,
        "person",
        {"attendee_id": target.id, "clue": "bio"},
        title="Tea",
        requires_confirmation=True,
    )
    me = player("Seeker")
    meet(session, me, target)
    [request] = service.pending_requests(session, attendee=target)
    service.answer_request(
        session, attendee=target, completion_id=request.completion_id, accept=True, now=T0
    )
    answered = [e for e in pending_events(session) if e.name == "confirm_answered"]
    assert [
        (e.room, e.payload["status"], e.payload["points"], e.payload["by"]) for e in answered
    ] == [(f"attendee:{me.id}", DONE, 100, "Target")]
    session.commit()


# --- void ---------------------------------------------------------------------------------------


def test_voiding_takes_the_points_back_and_is_final(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "meet_n", {"n": 1}, points=100, first_bonus=40)
    cheat, other, third = player("Cheat"), player("Other"), player("Third")
    meet(session, cheat, other)
    completion = session.query(MissionCompletion).filter_by(attendee_id=cheat.id).one()
    with pytest.raises(service.HuntError) as err:
        service.void_completion(
            session, event_id=event.id, completion_id=completion.id, reason=" ", now=T0
        )
    assert err.value.code == "reason_required"
    voided = service.void_completion(
        session, event_id=event.id, completion_id=completion.id, reason="Photo of a badge", now=T0
    )
    session.commit()
    assert voided.status == VOIDED and voided.void_reason == "Photo of a badge"
    assert hunt_points(session, cheat, hunt) == 0
    voids = session.query(PointsEntry).filter_by(source="void").all()
    assert sorted(v.points for v in voids) == [-100, -40]
    assert {v.reason for v in voids} == {"Photo of a badge"}
    # Voiding twice changes nothing; the mission cannot be completed again.
    service.void_completion(
        session, event_id=event.id, completion_id=completion.id, reason="again", now=T0
    )
    session.commit()
    assert session.query(PointsEntry).filter_by(source="void").count() == 2
    assert meet(session, cheat, third).messages == []
    # The bonus is not handed on to the next finder.
    assert meet(session, other, third).messages == ["Mission complete: meet_n mission (+100)"]


def test_voiding_is_scoped_to_the_event(session: Any, hunt: Any, player: Any, make: Any) -> None:
    add(session, hunt, "meet_n", {"n": 1})
    meet(session, player("A"), player("B"))
    completion = session.query(MissionCompletion).first()
    with pytest.raises(service.HuntError) as err:
        service.void_completion(
            session, event_id=make.event().id, completion_id=completion.id, reason="x", now=T0
        )
    assert err.value.code == "not_found"


def test_organisers_hear_of_every_completion_and_void(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "meet_n", {"n": 1}, title="Hi")
    me, other = player("Me"), player("Other")
    from conference.network import service as network

    network.record_meeting(session, attendee=me, met=other, now=T0)
    feed = [e for e in pending_events(session) if e.name == "hunt_completion"]
    assert [(e.room, e.namespace) for e in feed] == [(f"event:{event.id}:organiser", "/event")]
    assert feed[0].payload | {"at": None, "id": None} == {
        "id": None,
        "hunt_id": hunt.id,
        "mission_id": feed[0].payload["mission_id"],
        "mission": "Hi",
        "kind": "meet_n",
        "attendee_id": me.id,
        "attendee": "Me",
        "found": "",
        "status": DONE,
        "points": 100,
        "bonus": 0,
        "at": None,
        "void_reason": "",
    }
    session.commit()
    items = service.feed(session, hunt=hunt)
    assert [(i.attendee, i.mission, i.status) for i in items] == [("Me", "Hi", DONE)]


# --- suspicious bursts --------------------------------------------------------------------------


def test_ten_meetings_within_two_minutes_are_flagged(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    fast, steady = player("Fast Scanner"), player("Steady")
    others = [player(f"Person {i}") for i in range(12)]
    for i, other in enumerate(others[:10]):
        meet(session, fast, other, at=T0 + timedelta(seconds=11 * i))  # 10 in 99 s
    for i, other in enumerate(others[:10]):
        meet(session, steady, other, at=T0 + timedelta(minutes=3 * i))  # 10 in 27 min
    bursts = service.suspicious_bursts(session, event_id=event.id)
    assert [(b.name, b.meetings, b.total, b.started_at) for b in bursts] == [
        ("Fast Scanner", 10, 10, T0)
    ]
    assert service.suspicious_bursts(session, event_id=event.id, threshold=11) == []
    assert (
        service.suspicious_bursts(session, event_id=event.id, since=T0 + timedelta(seconds=1)) == []
    )


# --- checkpoints --------------------------------------------------------------------------------


def test_a_checkpoint_scan_completes_once_and_only_while_open(
    session: Any, event: Any, hunt: Any, player: Any, make: Any
) -> None:
    mission = add(
        session,
        hunt,
        "checkpoint",
        {"place": "Roof"},
        title="Roof",
        points=80,
        first_bonus=20,
        closes_at=T0 + timedelta(hours=1),
    )
    me, you = player("Me"), player("You")
    first = service.scan_checkpoint(session, attendee=me, mission=mission, now=T0)
    session.commit()
    assert (first.status, first.message) == (
        "done",
        "Mission complete: Roof (+80) · first to find it: +20",
    )
    again = service.scan_checkpoint(session, attendee=me, mission=mission, now=T0)
    assert again.status == "already"
    closed = service.scan_checkpoint(
        session, attendee=you, mission=mission, now=T0 + timedelta(hours=2)
    )
    assert closed.status == "closed" and closed.completion is None
    outsider = make.attendee(make.event(), name="Outsider")
    with pytest.raises(service.HuntError):
        service.scan_checkpoint(session, attendee=outsider, mission=mission, now=T0)
    assert hunt_points(session, me, hunt) == 100 and hunt_points(session, you, hunt) == 0


# --- what attendees see -------------------------------------------------------------------------


def test_my_hunts_shows_states_clues_progress_and_hides_withdrawn_people(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    target = player("Jonas", bio="Rust on microcontrollers.")
    gone = player("Gone", bio="Left the game.")
    add(session, hunt, "person", {"attendee_id": target.id, "clue": "bio"}, title="Rustacean")
    add(session, hunt, "person", {"attendee_id": gone.id, "clue": "bio"}, title="Gone")
    add(session, hunt, "meet_n", {"n": 3}, title="Three")
    add(
        session,
        hunt,
        "checkpoint",
        {"place": "Bar"},
        title="Later",
        opens_at=T0 + timedelta(hours=2),
    )
    gone.consent_game = False
    session.commit()
    me = player("Me")
    meet(session, me, target)
    [view] = service.my_hunts(session, event=event, attendee=me, now=T0)
    states = {v.mission.title: (v.state, v.progress) for v in view.missions}
    assert states == {
        "Rustacean": ("done", None),
        "Three": ("open", (1, 3)),
        "Later": ("upcoming", None),
    }
    assert view.state == "open" and view.done == 1 and view.open == 1
    assert view.standing is not None and view.standing.total == 100


def test_the_screen_shows_completions_per_mission_and_consented_names(
    session: Any, event: Any, hunt: Any, player: Any, make: Any
) -> None:
    add(session, hunt, "meet_n", {"n": 1}, title="Hi")
    add(session, hunt, "checkpoint", {"place": "Bar"}, title="Bar")
    named = player("Named Person")
    shy = make.attendee(event, name="Shy Person", consents=people.Consents(card=True))
    meet(session, named, shy, at=T0)
    meet(session, shy, named, at=T0 + timedelta(minutes=1))
    [progress] = service.screen_progress(session, event.id, T0 + timedelta(minutes=2))
    assert progress["name"] == "Test hunt" and progress["open"] is True
    assert [(m["title"], m["done"]) for m in progress["missions"]] == [("Hi", 2), ("Bar", 0)]
    assert [f["name"] for f in progress["latest"]] == ["Anonymous attendee", "Named Person"]
    assert "Shy Person" not in str(progress)


def test_erasing_a_profile_declines_what_waits_for_them(
    session: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "trait", {"rule": "company", "company": "Co"}, requires_confirmation=True)
    me, found = player("Me"), player("Found", company="Co")
    meet(session, me, found)
    people.delete_profile(session, attendee=found, now=T0)
    session.commit()
    assert session.query(MissionCompletion).one().status == DECLINED
    data = people.export_data(session, attendee=me)
    assert data["hunt"]["missions"][0]["status"] == DECLINED
    assert PENDING not in str(data["hunt"])


def test_others_see_when_the_first_finder_bonus_is_gone(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "meet_n", {"n": 1}, title="Quick", first_bonus=30)
    add(session, hunt, "checkpoint", {"place": "Bar"}, title="Bar", first_bonus=30)
    first, later = player("First"), player("Later")
    meet(session, first, player("Someone"))
    [view] = service.my_hunts(session, event=event, attendee=later, now=T0)
    assert {v.mission.title: v.bonus_taken for v in view.missions} == {"Quick": True, "Bar": False}


def test_scans_faster_than_the_limit_do_not_count_for_the_hunt(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    add(session, hunt, "meet_n", {"n": service.SCAN_LIMIT + 1}, title="Many")
    add(session, hunt, "trait", {"rule": "company", "company": "Co"}, title="Co")
    me = player("Speedy")
    others = [player(f"P{i}") for i in range(service.SCAN_LIMIT)]
    for i, other in enumerate(others):
        assert meet(session, me, other, at=T0 + timedelta(seconds=i)).messages == []
    too_fast = meet(session, me, player("Co Person", company="Co"), at=T0 + timedelta(seconds=30))
    assert too_fast.created and too_fast.messages == [service.SLOW_DOWN]
    assert session.query(MissionCompletion).count() == 0
    # A minute later scans count again; the counting mission sees every meeting.
    later = meet(session, me, player("Later"), at=T0 + timedelta(seconds=75))
    assert later.messages == ["Mission complete: Many (+100)"]
