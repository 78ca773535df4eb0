"""Follow lists as keyed hashes, matching, meetings, the recognition bonus and my data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conference.db import pending_events
from conference.events.models import Event
from conference.network import follows, service
from conference.network.models import SCAN, FollowHash, Meeting
from conference.network.service import NetworkError
from conference.people import service as people
from conference.people.handles import parse_handle
from conference.people.models import ANONYMOUS_NAME, Attendee
from conference.scoring.models import PointsEntry
from conference.scoring.service import total_of
from conference.tokens import keyed_hash
from tests.network.conftest import (
    LINKEDIN_MATCHES,
    MASTODON_MATCHES,
    NOW,
    sample,
    show_card,
)


def follow(session: Any, event: Event, attendee: Attendee, *texts: str) -> service.ImportResult:
    """Import pasted handles for ``attendee``, committing like the view does."""
    parsed = follows.parse_pasted("\n".join(texts))
    assert parsed.bad == [], parsed.bad
    result = service.import_follows(
        session, event=event, attendee=attendee, handles=parsed.handles, now=NOW
    )
    session.commit()
    return result


def import_file(session: Any, event: Event, attendee: Attendee, name: str) -> follows.FollowList:
    parsed = follows.parse_file(sample(name))
    service.import_follows(session, event=event, attendee=attendee, handles=parsed.handles, now=NOW)
    session.commit()
    return parsed


def names(known: list[service.KnownPerson]) -> set[str]:
    return {k.attendee.name for k in known}


def meet(session: Any, a: Attendee, b: Attendee, **kw: Any) -> service.MeetingOutcome:
    outcome = service.record_meeting(session, attendee=a, met=b, now=kw.pop("now", NOW), **kw)
    session.commit()
    return outcome


def ledger(session: Any, event: Event) -> list[tuple[str, int, int]]:
    rows = session.execute(
        sa.select(PointsEntry.source_key, PointsEntry.attendee_id, PointsEntry.points)
        .where(PointsEntry.event_id == event.id)
        .order_by(PointsEntry.id)
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def me(make: Any, event: Event) -> Attendee:
    """The attendee who imports follow lists: showing her card, no handles of the samples."""
    return make.attendee(
        event,
        name="Maria Fernández",
        handles=("x:@maria_dev", "mastodon:@maria@fosstodon.org"),
        consents=people.Consents(card=True, leaderboard=True),
    )


# --- importing and hashing --------------------------------------------------------------------


def test_mastodon_sample_matches_exactly_eight_attendees(
    session: Any, event: Event, crowd: dict[str, Attendee], me: Attendee
) -> None:
    assert len(crowd) == 30
    parsed = import_file(session, event, me, "mastodon_following_accounts.csv")
    assert len(parsed.handles) == 20
    known = service.known_here(session, event=event, attendee=me)
    assert names(known) == MASTODON_MATCHES
    jonas = next(k for k in known if k.attendee.name == "Jonas Keller")
    assert [h.key for h in jonas.followed] == ["mastodon:jonask@chaos.social"]
    assert not any(k.met for k in known)


def test_linkedin_sample_matches_exactly_eight_attendees(
    session: Any, event: Event, crowd: dict[str, Attendee], me: Attendee
) -> None:
    import_file(session, event, me, "linkedin_Connections.csv")
    known = service.known_here(session, event=event, attendee=me)
    assert names(known) == LINKEDIN_MATCHES
    # za.linkedin.com in the attendee sheet, www.linkedin.com in the export: the same profile.
    zanele = next(k for k in known if k.attendee.name == "Zanele Dlamini")
    assert [h.key for h in zanele.followed] == ["linkedin:zanele-dlamini"]


def test_both_samples_together_match_their_union(
    session: Any, event: Event, crowd: dict[str, Attendee], me: Attendee
) -> None:
    import_file(session, event, me, "mastodon_following_accounts.csv")
    import_file(session, event, me, "linkedin_Connections.csv")
    known = service.known_here(session, event=event, attendee=me)
    assert names(known) == MASTODON_MATCHES | LINKEDIN_MATCHES
    both = next(k for k in known if k.attendee.name == "Jonas Keller")
    assert {h.platform for h in both.followed} == {"mastodon", "linkedin"}


def test_stored_hash_is_the_keyed_hash_of_the_handle_key(
    session: Any, event: Event, me: Attendee
) -> None:
    follow(session, event, me, "https://x.com/Jonas_K")
    stored = session.scalars(sa.select(FollowHash.key_hash)).all()
    assert stored == [keyed_hash(event.secret, "x:jonas_k")]
    assert stored == [service.follow_hash(event, "x:jonas_k")]


def _text_cells(session: Any) -> list[str]:
    """Every text (and binary, decoded) value of every column of every table."""
    from conference.extensions import db

    cells: list[str] = []
    for table in db.metadata.sorted_tables:
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, sa.String | sa.Text | sa.JSON | sa.LargeBinary)
        ]
        if not columns:
            continue
        for row in session.execute(sa.select(*columns)):
            for value in row:
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if value is not None:
                    cells.append(str(value).casefold())
    return cells


def test_no_clear_text_handle_of_the_list_is_stored_anywhere(
    session: Any, make: Any, event: Event, crowd: dict[str, Attendee], me: Attendee
) -> None:
    pasted = [
        "@gh_secret_friend@hachyderm.io",
        "https://x.com/very_private_x",
        "bskypal.bsky.social",
    ]
    lists = [
        import_file(session, event, me, "mastodon_following_accounts.csv"),
        import_file(session, event, me, "linkedin_Connections.csv"),
    ]
    follow(session, event, me, *pasted)
    attendee_keys = {h.key for a in crowd.values() for h in a.handles}
    secrets = [
        handle
        for parsed in [*lists, follows.parse_pasted("\n".join(pasted))]
        for handle in parsed.handles
        if handle.key not in attendee_keys  # attendees' own handles are on their profiles
    ]
    assert len(secrets) == 12 + 12 + 3
    assert service.follow_count(session, attendee_id=me.id) == 43
    cells = _text_cells(session)
    for handle in secrets:
        needles = {handle.handle, handle.url, handle.key, handle.display}
        if handle.platform == "mastodon":
            needles.add(handle.handle.split("@")[0])  # the user name alone
        for needle in needles:
            assert not any(needle.casefold() in cell for cell in cells), needle


def test_duplicates_and_reimports_add_nothing(session: Any, event: Event, me: Attendee) -> None:
    first = follow(session, event, me, "@ana@hachyderm.io", "https://x.com/bob")
    assert (first.added, first.already, first.total) == (2, 0, 2)
    again = follow(session, event, me, "https://hachyderm.io/@ana", "https://x.com/carol")
    assert (again.added, again.already, again.total) == (1, 1, 3)
    assert session.scalar(sa.select(sa.func.count(FollowHash.id))) == 3


def test_clearing_the_list_removes_every_hash(
    session: Any, event: Event, crowd: dict[str, Attendee], me: Attendee, make: Any
) -> None:
    other = make.attendee(event, name="Other Follower")
    follow(session, event, other, "https://x.com/someone")
    import_file(session, event, me, "mastodon_following_accounts.csv")
    assert service.clear_follows(session, attendee=me) == 20
    session.commit()
    assert service.follow_count(session, attendee_id=me.id) == 0
    assert session.scalar(sa.select(sa.func.count()).where(FollowHash.attendee_id == me.id)) == 0
    assert service.known_here(session, event=event, attendee=me) == []
    assert service.follow_count(session, attendee_id=other.id) == 1  # others keep theirs


def test_the_list_size_is_capped(
    session: Any, event: Event, me: Attendee, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_FOLLOWS", 3)
    follow(session, event, me, "https://x.com/a", "https://x.com/b")
    with pytest.raises(NetworkError) as err:
        follow(session, event, me, "https://x.com/c", "https://x.com/d")
    assert err.value.code == "too_many_follows"


def test_importing_for_an_attendee_of_another_event_is_refused(
    session: Any, make: Any, event: Event, me: Attendee
) -> None:
    elsewhere = make.event()
    with pytest.raises(NetworkError) as err:
        service.import_follows(
            session, event=elsewhere, attendee=me, handles=[parse_handle("@a", "x")], now=NOW
        )
    assert err.value.code == "not_your_event"


# --- matching ---------------------------------------------------------------------------------


def test_people_who_register_after_the_import_are_matched(
    session: Any, make: Any, event: Event, me: Attendee
) -> None:
    follow(session, event, me, "https://x.com/latecomer", "@early@chaos.social")
    early = make.attendee(
        event,
        name="Early Bird",
        handles=("mastodon:@early@chaos.social",),
        consents=people.Consents(card=True),
    )
    assert names(service.known_here(session, event=event, attendee=me)) == {"Early Bird"}
    late = make.attendee(
        event, name="Late Comer", handles=("x:latecomer",), consents=people.Consents(card=True)
    )
    assert names(service.known_here(session, event=event, attendee=me)) == {
        "Early Bird",
        "Late Comer",
    }
    # A handle added to a profile later is matched too.
    people.update_attendee(
        session,
        attendee=early,
        profile=people.Profile(name=early.name, email=early.email or ""),
        handles=[parse_handle("someone-else", "github")],
    )
    session.commit()
    assert names(service.known_here(session, event=event, attendee=me)) == {"Late Comer"}
    assert late.id != early.id


def test_attendees_without_card_consent_are_not_listed(
    session: Any, event: Event, crowd: dict[str, Attendee], me: Attendee
) -> None:
    show_card(session, crowd["Jonas Keller"], card=False)
    import_file(session, event, me, "mastodon_following_accounts.csv")
    known = names(service.known_here(session, event=event, attendee=me))
    assert known == MASTODON_MATCHES - {"Jonas Keller"}
    show_card(session, crowd["Jonas Keller"])
    assert names(service.known_here(session, event=event, attendee=me)) == MASTODON_MATCHES


def test_imported_attendees_without_any_consent_are_never_matched(
    session: Any, make: Any, me: Attendee
) -> None:
    from tests.network.conftest import import_sample_attendees

    event = session.get(Event, me.event_id)
    import_sample_attendees(session, event, consent=False)
    import_file(session, event, me, "mastodon_following_accounts.csv")
    assert service.known_here(session, event=event, attendee=me) == []


def test_attendees_of_other_events_are_not_matched(
    session: Any, make: Any, event: Event, me: Attendee
) -> None:
    elsewhere = make.event()
    make.attendee(
        elsewhere, name="Elsewhere", handles=("x:@friend",), consents=people.Consents(card=True)
    )
    follow(session, event, me, "https://x.com/friend")
    assert service.known_here(session, event=event, attendee=me) == []


def test_the_reverse_count_says_how_many_here_follow_me(
    session: Any, make: Any, event: Event, me: Attendee
) -> None:
    fans = [make.attendee(event, name=f"Fan {n}") for n in range(3)]
    follow(session, event, fans[0], "https://x.com/maria_dev")
    # Following two of my handles still counts as one person.
    follow(session, event, fans[1], "https://x.com/maria_dev", "@maria@fosstodon.org")
    follow(session, event, fans[2], "https://x.com/somebody_else")
    assert service.follower_count(session, event=event, attendee=me) == 2

    people.delete_profile(session, attendee=fans[0], now=NOW)
    session.commit()
    assert service.follower_count(session, event=event, attendee=me) == 1

    show_card(session, me, card=False)
    assert service.follower_count(session, event=event, attendee=me) == 0


def test_known_people_are_marked_met_either_way(
    session: Any, event: Event, crowd: dict[str, Attendee], me: Attendee
) -> None:
    import_file(session, event, me, "mastodon_following_accounts.csv")
    meet(session, me, crowd["Jonas Keller"])
    meet(session, crowd["Priya Raman"], me)
    known = service.known_here(session, event=event, attendee=me)
    assert {k.attendee.name for k in known if k.met} == {"Jonas Keller", "Priya Raman"}
    assert [k.met for k in known] == sorted(k.met for k in known)  # people still to find first


# --- relations --------------------------------------------------------------------------------


@pytest.fixture
def jonas(make: Any, event: Event) -> Attendee:
    return make.attendee(
        event,
        name="Jonas Becker",
        handles=("mastodon:@jonas@chaos.social", "github:jbecker"),
        consents=people.Consents(card=True, leaderboard=True),
    )


def test_relation_says_who_follows_whom(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    assert not service.relation(session, event=event, viewer=me, other=jonas).known
    follow(session, event, me, "https://github.com/jbecker")
    rel = service.relation(session, event=event, viewer=me, other=jonas)
    assert [h.key for h in rel.you_follow] == ["github:jbecker"]
    assert rel.they_follow == () and rel.summary == "You follow them"
    back = service.relation(session, event=event, viewer=jonas, other=me)
    assert back.summary == "They follow you"
    assert [h.key for h in back.they_follow] == ["github:jbecker"]
    follow(session, event, jonas, "@maria@fosstodon.org")
    rel = service.relation(session, event=event, viewer=me, other=jonas)
    assert rel.mutual and rel.summary == "You follow each other"
    assert [h.key for h in rel.they_follow] == ["mastodon:maria@fosstodon.org"]


def test_relation_ignores_handles_of_people_who_hide_their_card(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    follow(session, event, me, "https://github.com/jbecker")
    follow(session, event, jonas, "https://x.com/maria_dev")
    show_card(session, jonas, card=False)
    rel = service.relation(session, event=event, viewer=me, other=jonas)
    assert rel.you_follow == () and rel.summary == "They follow you"


# --- meetings ---------------------------------------------------------------------------------


def test_a_meeting_is_recorded_once_and_paid_once(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    first = meet(session, me, jonas)
    assert first.created and first.points == service.MEETING_POINTS
    assert first.meeting.via == SCAN and first.meeting.created_at == NOW
    again = meet(session, me, jonas, now=NOW + timedelta(minutes=5))
    assert not again.created and again.points == 0
    assert again.meeting.id == first.meeting.id and again.meeting.created_at == NOW
    assert session.scalar(sa.select(sa.func.count(Meeting.id))) == 1
    assert ledger(session, event) == [(f"meeting:{first.meeting.id}", me.id, 10)]
    assert service.meeting_count(session, attendee_id=me.id) == 1
    assert service.met_ids(session, attendee_id=jonas.id) == {me.id}


def test_meeting_yourself_or_someone_of_another_event_is_refused(
    session: Any, make: Any, me: Attendee
) -> None:
    with pytest.raises(NetworkError) as own:
        service.record_meeting(session, attendee=me, met=me, now=NOW)
    assert own.value.code == "self_meeting"
    stranger = make.attendee(make.event(), name="Stranger")
    with pytest.raises(NetworkError) as other:
        service.record_meeting(session, attendee=me, met=stranger, now=NOW)
    assert other.value.code == "not_your_event"
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(Meeting.id))) == 0
    assert session.scalar(sa.select(sa.func.count(PointsEntry.id))) == 0


def test_the_note_is_saved_for_its_author_only(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    meet(session, me, jonas)
    service.save_note(
        session, attendee=me, met_id=jonas.id, note="  Rust on MCUs\r\nbikes ", now=NOW
    )
    session.commit()
    mine = service.person_met(session, event=event, attendee=me, other_id=jonas.id)
    assert mine.meeting is not None and mine.meeting.note == "Rust on MCUs\nbikes"
    theirs = service.person_met(session, event=event, attendee=jonas, other_id=me.id)
    assert theirs.meeting is None  # Jonas sees that Maria met him, never her note
    with pytest.raises(NetworkError) as err:
        service.save_note(session, attendee=jonas, met_id=me.id, note="hijack", now=NOW)
    assert err.value.code == "not_found"
    with pytest.raises(NetworkError) as long:
        service.save_note(session, attendee=me, met_id=jonas.id, note="x" * 2001, now=NOW)
    assert long.value.code == "too_long"


def test_someone_who_scanned_me_can_be_added_back(
    session: Any, event: Event, me: Attendee, jonas: Attendee, make: Any
) -> None:
    meet(session, jonas, me)
    assert [p.attendee.id for p in service.scanned_by(session, event=event, attendee=me)] == [
        jonas.id
    ]
    outcome = service.add_back(session, attendee=me, other=jonas, now=NOW)
    session.commit()
    assert outcome.created and outcome.meeting.via == "add_back"
    assert service.scanned_by(session, event=event, attendee=me) == []
    assert [p.attendee.id for p in service.my_people(session, event=event, attendee=me)] == [
        jonas.id
    ]
    stranger = make.attendee(event, name="Not Met")
    with pytest.raises(NetworkError) as err:
        service.add_back(session, attendee=me, other=stranger, now=NOW)
    assert err.value.code == "not_met"


def test_my_people_are_newest_first(
    session: Any, make: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    aiko = make.attendee(event, name="Aiko")
    meet(session, me, jonas, now=NOW)
    meet(session, me, aiko, now=NOW + timedelta(minutes=3))
    met = service.my_people(session, event=event, attendee=me)
    assert [p.attendee.name for p in met] == ["Aiko", "Jonas Becker"]
    assert met[1].met_at == NOW


# --- recognition ------------------------------------------------------------------------------


def test_one_way_recognition_pays_both_once(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    follow(session, event, me, "@jonas@chaos.social")
    outcome = meet(session, me, jonas)
    assert outcome.recognition_points == service.RECOGNITION_POINTS == 100
    assert outcome.points == 110
    low, high = sorted((me.id, jonas.id))
    assert ledger(session, event) == [
        (f"meeting:{outcome.meeting.id}", me.id, 10),
        (f"recognition:{low}:{high}:{me.id}", me.id, 100),
        (f"recognition:{low}:{high}:{jonas.id}", jonas.id, 100),
    ]
    # Jonas scanning Maria back is a new meeting for him, but the pair was already rewarded.
    back = meet(session, jonas, me)
    assert back.created and back.recognition_points == 0 and back.points == 10
    assert total_of(session, event_id=event.id, attendee_id=me.id) == 110
    assert total_of(session, event_id=event.id, attendee_id=jonas.id) == 110


def test_mutual_follows_pay_more(session: Any, event: Event, me: Attendee, jonas: Attendee) -> None:
    follow(session, event, me, "https://github.com/jbecker")
    follow(session, event, jonas, "https://x.com/maria_dev")
    outcome = meet(session, jonas, me)
    assert outcome.relation.mutual
    assert outcome.recognition_points == service.MUTUAL_RECOGNITION_POINTS == 250
    assert total_of(session, event_id=event.id, attendee_id=me.id) == 250
    assert total_of(session, event_id=event.id, attendee_id=jonas.id) == 260


def test_being_followed_is_enough_for_the_bonus(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    follow(session, event, jonas, "https://x.com/maria_dev")
    outcome = meet(session, me, jonas)
    assert outcome.relation.summary == "They follow you"
    assert outcome.recognition_points == 100


def test_no_bonus_without_card_consent_or_without_a_follow(
    session: Any, make: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    stranger = make.attendee(event, name="Stranger", consents=people.Consents(card=True))
    assert meet(session, me, stranger).recognition_points == 0
    follow(session, event, me, "@jonas@chaos.social")
    show_card(session, jonas, card=False)
    assert meet(session, me, jonas).recognition_points == 0
    assert {key for key, _, _ in ledger(session, event)} == {
        f"meeting:{m.id}" for m in session.scalars(sa.select(Meeting))
    }


def test_screens_hear_of_meetings_and_recognitions_with_consented_names_only(
    session: Any, make: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    shy = make.attendee(
        event, name="Shy Person", handles=("x:@shy_one",), consents=people.Consents(card=True)
    )
    follow(session, event, me, "https://x.com/shy_one", "@jonas@chaos.social")
    service.record_meeting(session, attendee=me, met=shy, now=NOW)
    events = {e.name: e for e in pending_events(session)}
    assert events["recognition"].room == f"event:{event.id}:screen"
    assert events["recognition"].payload["names"] == ["Maria Fernández", "Anonymous attendee"]
    meeting = events["meeting_recorded"]
    assert meeting.room == f"event:{event.id}:screen" and meeting.namespace == "/screen"
    assert "names" not in meeting.payload and meeting.payload["recognition"] is True
    assert "Shy" not in repr(meeting.payload)
    session.commit()

    service.record_meeting(session, attendee=me, met=jonas, now=NOW)
    both = {e.name: e for e in pending_events(session)}
    assert both["meeting_recorded"].payload["names"] == ["Maria Fernández", "Jonas Becker"]
    assert both["meeting_recorded"].payload["meetings"] == 2
    session.commit()

    service.record_meeting(session, attendee=me, met=jonas, now=NOW)
    assert [e.name for e in pending_events(session)] == []  # a repeated scan announces nothing


def test_meeting_listeners_run_for_new_meetings_only(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    calls: list[tuple[int, int, Any]] = []

    def listener(s: Any, meeting: Meeting, now: Any) -> list[str]:
        assert s.get(Meeting, meeting.id) is meeting  # inserted, in the same transaction
        calls.append((meeting.attendee_id, meeting.met_id, now))
        return ["Mission complete: Find a Rustacean (+200)"]

    service.register_meeting_listener(listener)
    service.register_meeting_listener(listener)
    try:
        assert service.MEETING_LISTENERS.count(listener) == 1
        outcome = meet(session, me, jonas)
        assert outcome.messages == ["Mission complete: Find a Rustacean (+200)"]
        assert calls == [(me.id, jonas.id, NOW)]
        assert meet(session, me, jonas).messages == []
        assert len(calls) == 1
    finally:
        service.unregister_meeting_listener(listener)
    assert listener not in service.MEETING_LISTENERS


# --- my data ----------------------------------------------------------------------------------


def test_my_data_holds_meetings_notes_and_only_a_count_of_the_list(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    follow(session, event, me, "https://x.com/a", "https://x.com/b", "@jonas@chaos.social")
    meet(session, me, jonas)
    service.save_note(session, attendee=me, met_id=jonas.id, note="Kafka talk", now=NOW)
    meet(session, jonas, me)
    data = people.export_data(session, attendee=me)
    assert data["follow_list"]["accounts"] == 3
    assert data["meetings"] == [
        {
            "met": "Jonas Becker",
            "met_at": NOW.isoformat(),
            "how": "scanned their badge",
            "note": "Kafka talk",
        }
    ]
    assert data["met_by_others"] == 1
    assert "x:a" not in repr(data) and "jonas@chaos.social" not in repr(data)


def test_deleting_a_profile_erases_the_list_and_own_meetings_but_keeps_others(
    session: Any, event: Event, me: Attendee, jonas: Attendee
) -> None:
    follow(session, event, me, "@jonas@chaos.social")
    follow(session, event, jonas, "https://x.com/someone")
    meet(session, me, jonas)
    service.save_note(session, attendee=me, met_id=jonas.id, note="private", now=NOW)
    jonas_meets_me = meet(session, jonas, me)
    before = total_of(session, event_id=event.id, attendee_id=me.id)

    people.delete_profile(session, attendee=me, now=NOW)
    session.commit()

    assert service.follow_count(session, attendee_id=me.id) == 0
    assert service.follow_count(session, attendee_id=jonas.id) == 1
    assert session.scalars(sa.select(Meeting.attendee_id)).all() == [jonas.id]
    assert "private" not in [n for n in session.scalars(sa.select(Meeting.note))]
    assert total_of(session, event_id=event.id, attendee_id=me.id) == before  # points stay
    seen = service.my_people(session, event=event, attendee=jonas)
    assert [p.attendee.name for p in seen] == [ANONYMOUS_NAME]
    assert seen[0].meeting is not None and seen[0].meeting.id == jonas_meets_me.meeting.id
    assert not seen[0].shows_card and not seen[0].relation.known
