"""Each mission kind's predicate: true when the rule is met, false otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from conference.hunt import missions, service
from conference.hunt.missions import KINDS, Context
from conference.hunt.models import DONE, MissionCompletion
from conference.people import service as people
from tests.hunt.conftest import T0, add, check_in, follow, meet, png


def done_by(session: Any, attendee: Any) -> set[str]:
    """Titles of the missions the attendee completed."""
    rows = session.query(MissionCompletion).filter_by(attendee_id=attendee.id, status=DONE)
    return {c.mission.title for c in rows}


def context(session: Any, event: Any, mission: Any, attendee: Any, met: Any = None) -> Context:
    outcome = meet(session, attendee, met) if met is not None else None
    return Context(
        event=event,
        attendee=attendee,
        mission=mission,
        now=T0,
        meeting=outcome.meeting if outcome else None,
        met=met,
    )


def test_the_registry_has_one_class_per_kind() -> None:
    assert set(KINDS) == {"person", "trait", "checkpoint", "known_online", "meet_n"}
    for key, kind in KINDS.items():
        assert kind.key == key and kind.label and kind.help
    assert {k for k, kind in KINDS.items() if kind.finds_person} == {"person", "trait"}


# --- person -------------------------------------------------------------------------------------


@pytest.mark.parametrize("clue", ["handle", "bio", "avatar"])
def test_person_is_found_by_scanning_their_badge_only(
    session: Any, event: Any, hunt: Any, player: Any, clue: str
) -> None:
    target = player(
        "Jonas Becker", handles=("mastodon:@jonas@chaos.social",), bio="Rust on microcontrollers."
    )
    people.set_avatar(session, attendee=target, upload=png(), now=T0)
    session.commit()
    seeker, other = player("Maria Seeker"), player("Someone Else")
    mission = add(session, hunt, "person", {"attendee_id": target.id, "clue": clue})
    kind = missions.kind_of(mission)
    assert isinstance(kind, missions.PersonMission)

    shown = kind.clue(session, mission)
    assert shown is not None and shown.kind == clue
    assert "Jonas" not in shown.text and "Becker" not in shown.text
    assert {"handle": "@jonas@chaos.social", "bio": "Rust on microcontrollers.", "avatar": ""}[
        clue
    ] == shown.text

    assert not kind.evaluate(session, context(session, event, mission, seeker, other))
    assert kind.evaluate(session, context(session, event, mission, seeker, target))
    assert done_by(session, seeker) == {"person mission"}


def test_a_person_who_withdraws_consent_is_no_longer_a_target(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    target = player("Jonas Becker", bio="Rust.")
    seeker = player("Maria")
    mission = add(session, hunt, "person", {"attendee_id": target.id, "clue": "bio"})
    target.consent_game = False
    session.commit()
    kind = missions.kind_of(mission)
    assert kind.clue(session, mission) is None  # type: ignore[attr-defined]
    assert not kind.evaluate(session, context(session, event, mission, seeker, target))
    assert done_by(session, seeker) == set()


def test_a_person_mission_needs_a_consenting_target_with_the_clue(
    session: Any, hunt: Any, player: Any, make: Any, event: Any
) -> None:
    shy = make.attendee(event, name="Shy", bio="I like tea.")
    no_bio = player("No Bio")
    for params, code in (
        ({"attendee_id": shy.id, "clue": "bio"}, "no_consent"),
        ({"attendee_id": no_bio.id, "clue": "bio"}, "invalid_params"),
        ({"attendee_id": no_bio.id, "clue": "avatar"}, "invalid_params"),
        ({"attendee_id": no_bio.id, "clue": "handle"}, "invalid_params"),
        ({"attendee_id": "x", "clue": "bio"}, "invalid_params"),
    ):
        with pytest.raises(service.HuntError) as err:
            add(session, hunt, "person", params)
        assert err.value.code == code
        session.rollback()


# --- trait --------------------------------------------------------------------------------------


def test_trait_company_matches_case_insensitively(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    mission = add(session, hunt, "trait", {"rule": "company", "company": "DataWell"})
    seeker = player("Seeker")
    other = player("Other", company="Datawell Labs")
    match = player("Maria", company="  datawell ")
    kind = missions.kind_of(mission)
    assert kind.task(session, mission) == "Meet someone who works at DataWell."
    assert not kind.evaluate(session, context(session, event, mission, seeker, other))
    assert kind.evaluate(session, context(session, event, mission, seeker, match))
    assert done_by(session, seeker) == {"trait mission"}


def test_trait_platform_needs_the_handle_and_a_shown_card(
    session: Any, event: Any, hunt: Any, player: Any, make: Any
) -> None:
    mission = add(session, hunt, "trait", {"rule": "platform", "platform": "mastodon"})
    seeker = player("Seeker")
    on_x = player("On X", handles=("x:@onx",))
    hidden = make.attendee(
        event,
        name="Hidden",
        handles=("mastodon:@hidden@a.social",),
        consents=people.Consents(card=False, game=True),
    )
    on_mastodon = player("On Mastodon", handles=("mastodon:@m@b.social",))
    kind = missions.kind_of(mission)
    assert not kind.evaluate(session, context(session, event, mission, seeker, on_x))
    assert not kind.evaluate(session, context(session, event, mission, seeker, hidden))
    assert kind.evaluate(session, context(session, event, mission, seeker, on_mastodon))


def test_trait_checkin_list_counts_live_check_ins(
    session: Any, event: Any, hunt: Any, player: Any, make: Any
) -> None:
    staff = make.member(event)
    seeker, came, elsewhere = player("Seeker"), player("Came"), player("Elsewhere")
    workshop, _ = check_in(session, event, came, "Workshop day", staff)
    check_in(session, event, elsewhere, "Main entrance", staff)
    mission = add(session, hunt, "trait", {"rule": "checkin_list", "list_id": str(workshop.id)})
    kind = missions.kind_of(mission)
    assert "Workshop day" in kind.task(session, mission)
    assert not kind.evaluate(session, context(session, event, mission, seeker, elsewhere))
    assert kind.evaluate(session, context(session, event, mission, seeker, came))


def test_trait_needs_the_person_to_be_a_hunt_target(
    session: Any, event: Any, hunt: Any, player: Any, make: Any
) -> None:
    mission = add(session, hunt, "trait", {"rule": "company", "company": "Datawell"})
    seeker = player("Seeker")
    not_playing = make.attendee(event, name="Not playing", company="Datawell")
    kind = missions.kind_of(mission)
    assert not kind.evaluate(session, context(session, event, mission, seeker, not_playing))


def test_trait_rules_are_validated(session: Any, hunt: Any, make: Any) -> None:
    other_event = make.event()
    from conference.checkin import service as checkin

    foreign = checkin.create_list(
        session, event=other_event, name="Door", allow_reentry=False, now=T0
    )
    session.commit()
    for params in (
        {"rule": "company", "company": "  "},
        {"rule": "platform", "platform": "myspace"},
        {"rule": "checkin_list", "list_id": str(foreign.id)},
        {"rule": "shoe_size"},
    ):
        with pytest.raises(service.HuntError):
            add(session, hunt, "trait", params)
        session.rollback()


# --- checkpoint ---------------------------------------------------------------------------------


def test_checkpoint_completes_by_its_own_poster_only(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    coffee = add(session, hunt, "checkpoint", {"place": "Coffee bar"}, title="Coffee")
    booth = add(session, hunt, "checkpoint", {"place": "Booth B3"}, title="Booth")
    assert coffee.token and booth.token and coffee.token != booth.token
    assert len(coffee.token) >= 32  # 24 random bytes, URL-safe: 192 bits
    visitor, other = player("Visitor"), player("Other")
    kind = missions.kind_of(coffee)
    base = Context(event=event, attendee=visitor, mission=coffee, now=T0)
    assert not kind.evaluate(session, base)
    assert not kind.evaluate(session, context(session, event, coffee, visitor, other))
    assert not kind.evaluate(
        session, Context(event=event, attendee=visitor, mission=coffee, now=T0, checkpoint=booth)
    )
    assert kind.evaluate(
        session, Context(event=event, attendee=visitor, mission=coffee, now=T0, checkpoint=coffee)
    )
    scan = service.scan_checkpoint(session, attendee=visitor, mission=coffee, now=T0)
    session.commit()
    assert scan.status == "done" and done_by(session, visitor) == {"Coffee"}


# --- counting kinds -----------------------------------------------------------------------------


def test_known_online_counts_people_you_follow(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    mission = add(session, hunt, "known_online", {"n": 2}, title="Two I know")
    me = player("Me", handles=("x:@me_here",))
    a = player("A", handles=("x:@aaa_a",))
    b = player("B", handles=("github:bbb-b",))
    fan = player("Fan", handles=("x:@fan_f",))  # follows me; I do not follow them
    stranger = player("Stranger", handles=("x:@stranger_s",))
    follow(session, me, a, b)
    follow(session, fan, me)
    kind = missions.kind_of(mission)

    meet(session, me, stranger)
    meet(session, me, fan)
    meet(session, me, a)
    ctx = Context(event=event, attendee=me, mission=mission, now=T0)
    assert kind.progress(session, ctx) == (1, 2)
    assert done_by(session, me) == set()
    outcome = meet(session, me, b)
    assert done_by(session, me) == {"Two I know"}
    assert "Mission complete: Two I know (+100)" in outcome.messages


def test_meet_n_counts_people_you_did_not_know(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    mission = add(session, hunt, "meet_n", {"n": 2}, title="Two new")
    me = player("Me", handles=("x:@me_here",))
    known = player("Known", handles=("x:@known_k",))
    follower = player("Follower", handles=("x:@follower_f",))
    new1, new2 = player("New One"), player("New Two")
    follow(session, me, known)
    follow(session, follower, me)
    kind = missions.kind_of(mission)
    meet(session, me, known)
    meet(session, me, follower)
    meet(session, me, new1)
    assert kind.progress(session, Context(event=event, attendee=me, mission=mission, now=T0)) == (
        1,
        2,
    )
    assert done_by(session, me) == set()
    meet(session, me, new2)
    assert done_by(session, me) == {"Two new"}


def test_counting_missions_count_badge_scans_from_their_start_only(
    session: Any, event: Any, hunt: Any, player: Any
) -> None:
    from datetime import timedelta

    mission = add(session, hunt, "meet_n", {"n": 2}, opens_at=T0, title="From T0")
    me, early, late = player("Me"), player("Early"), player("Late")
    meet(session, me, early, at=T0 - timedelta(minutes=30))  # the hunt ran, the mission did not
    meet(session, me, late, at=T0 + timedelta(minutes=1))
    kind = missions.kind_of(mission)
    ctx = Context(event=event, attendee=me, mission=mission, now=T0 + timedelta(minutes=2))
    assert kind.progress(session, ctx) == (1, 2)
    # Someone who scanned me and whom I added back is no find of mine.
    back = player("Back")
    meet(session, back, me, at=T0 + timedelta(minutes=3))
    from conference.network import service as network

    network.add_back(session, attendee=me, other=back, now=T0 + timedelta(minutes=4))
    session.commit()
    assert done_by(session, me) == set()


def test_counting_missions_need_a_sensible_number(session: Any, hunt: Any) -> None:
    for n in ("0", "101", "many", None):
        with pytest.raises(service.HuntError):
            add(session, hunt, "meet_n", {"n": n})
        session.rollback()
