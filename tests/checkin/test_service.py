"""The check-in service: one function decides every scan, exactly once, and logs it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conference.badges import service as badges
from conference.checkin import service
from conference.checkin.models import CheckIn, Scan
from conference.db import pending_events
from conference.people import service as people
from tests.checkin.conftest import NOW, Desk, make_desk


def rows(session: Any, model: Any, **where: Any) -> list[Any]:
    stmt = sa.select(model).filter_by(**where).order_by(model.id)
    return list(session.scalars(stmt))


# --- reading what was scanned -------------------------------------------------------------


@pytest.mark.parametrize(
    ("scanned", "token"),
    [
        ("AbC-123_xyz", "AbC-123_xyz"),
        ("  AbC-123_xyz\n", "AbC-123_xyz"),
        ("https://known.test/b/AbC-123_xyz", "AbC-123_xyz"),
        ("http://10.0.0.5:5000/b/AbC-123_xyz", "AbC-123_xyz"),
        ("https://conf.example.org/known/b/AbC-123_xyz/", "AbC-123_xyz"),
        ("https://x.example/b/AbC-123_xyz?utm_source=badge#top", "AbC-123_xyz"),
        ("HTTPS://X.EXAMPLE/b/AbC-123_xyz", "AbC-123_xyz"),
        ("", ""),
    ],
)
def test_badge_token_is_read_from_any_base_url_or_bare(scanned: str, token: str) -> None:
    assert service.badge_token(scanned) == token


# --- the codes ----------------------------------------------------------------------------


def test_ok_checks_in_logs_the_scan_and_offers_undo(desk: Desk, session: Any) -> None:
    maria, token = desk.guest("Maria Fernández", "Datawell")
    result = desk.scan(token, nonce="first-nonce-1")
    assert result.code == "ok" and result.ok
    assert result.message == "Welcome, Maria Fernández — Datawell"
    assert result.attendee == service.AttendeeRef(maria.id, "Maria Fernández", "Datawell")
    assert result.undo_until == NOW + timedelta(seconds=30)
    assert result.check_in is not None
    assert result.check_in.by == "Sam Porter"
    assert result.check_in.list == service.ListRef(desk.lst.id, "Main entrance")
    assert result.replayed is False
    [row] = rows(session, CheckIn)
    assert (row.attendee_id, row.list_id, row.staff_id) == (maria.id, desk.lst.id, desk.staff.id)
    assert row.undone_at is None and row.nonce == "first-nonce-1"
    [scan] = rows(session, Scan)
    assert (scan.code, scan.attendee_id, scan.check_in_id) == ("ok", maria.id, row.id)
    assert scan.raw == token
    assert scan.response == result.as_dict()


def test_second_scan_is_already_checked_in_with_time_staff_and_list(
    desk: Desk, session: Any
) -> None:
    maria, token = desk.guest("Maria Fernández", "Datawell")
    first = desk.scan(token)
    later = NOW + timedelta(minutes=20)
    other_staff = desk.make.member(desk.event, desk.make.account(name="Kim Lee"))
    again = desk.scan(token, staff=other_staff, now=later)
    assert again.code == "already_checked_in" and not again.ok
    # 07:12 UTC is 09:12 in the event's time zone (Europe/Berlin).
    assert again.message == "Already checked in at 09:12 by Sam Porter (Main entrance)."
    assert again.previous is not None and first.check_in is not None
    assert again.previous.at == NOW
    assert again.previous.by == "Sam Porter"
    assert again.previous.list.name == "Main entrance"
    assert again.check_in is None and again.undo_until is None
    assert again.attendee is not None and again.attendee.id == maria.id
    assert len(rows(session, CheckIn)) == 1
    assert [s.code for s in rows(session, Scan)] == ["ok", "already_checked_in"]
    assert "id" not in again.as_dict()["previous"]


def test_previous_check_in_on_another_day_names_the_day(desk: Desk) -> None:
    _, token = desk.guest()
    desk.scan(token)
    again = desk.scan(token, now=NOW + timedelta(days=1))
    assert "at 1 Jun at 09:12 by" in again.message


def test_full_badge_url_of_another_base_url_checks_in(desk: Desk) -> None:
    _, token = desk.guest("Ana")
    result = desk.scan(f"https://old-domain.example/b/{token}?ref=qr")
    assert result.code == "ok"


def test_unknown_badge_is_refused_and_logged(desk: Desk, session: Any) -> None:
    result = desk.scan("no-such-token-at-all", nonce="unknown-nonce")
    assert (result.code, result.ok, result.attendee) == ("unknown_badge", False, None)
    assert result.message == "Unknown badge."
    [scan] = rows(session, Scan)
    assert (scan.code, scan.attendee_id, scan.check_in_id) == ("unknown_badge", None, None)
    assert scan.raw == "no-such-token-at-all" and scan.nonce == "unknown-nonce"
    assert scan.list_id == desk.lst.id and scan.staff_id == desk.staff.id
    assert rows(session, CheckIn) == []


def test_raw_input_is_truncated_in_the_log(desk: Desk, session: Any) -> None:
    desk.scan("x" * 1000)
    [scan] = rows(session, Scan)
    assert len(scan.raw) == 300 and scan.code == "unknown_badge"


def test_revoked_badge_is_refused_and_the_new_one_works(desk: Desk, session: Any) -> None:
    maria, old = desk.guest("Maria")
    new = badges.revoke_badge(session, attendee=maria, now=NOW).token
    session.commit()
    refused = desk.scan(old)
    assert refused.code == "revoked_badge"
    assert refused.attendee is not None and refused.attendee.name == "Maria"
    assert rows(session, Scan)[0].attendee_id == maria.id
    assert desk.scan(new).code == "ok"


def test_deleted_attendee_badge_is_revoked(desk: Desk, session: Any) -> None:
    maria, token = desk.guest("Maria")
    people.delete_profile(session, attendee=maria, now=NOW)
    session.commit()
    result = desk.scan(token)
    assert result.code == "revoked_badge" and result.attendee is None


def test_badge_of_another_event_is_wrong_event_and_says_nobody(
    desk: Desk, session: Any, make: Any
) -> None:
    other = make_desk(session, make, name="Other Staff")
    _, token = other.guest("Stranger", "Elsewhere Inc")
    result = desk.scan(token)
    assert (result.code, result.attendee) == ("wrong_event", None)
    assert "Stranger" not in result.message
    assert rows(session, CheckIn) == []
    assert rows(session, Scan)[0].code == "wrong_event"


def test_list_of_another_event_is_not_allowed(desk: Desk, session: Any, make: Any) -> None:
    other = make_desk(session, make)
    _, token = desk.guest()
    result = desk.scan(token, list_id=other.lst.id)
    assert result.code == "not_allowed"
    assert rows(session, CheckIn) == []
    [scan] = rows(session, Scan)
    assert (scan.code, scan.list_id, scan.event_id) == ("not_allowed", None, desk.event.id)


def test_staff_of_another_event_is_not_allowed(desk: Desk, session: Any, make: Any) -> None:
    other = make_desk(session, make)
    _, token = desk.guest()
    result = desk.scan(token, staff=other.staff)
    assert result.code == "not_allowed"
    assert rows(session, CheckIn) == []


def test_check_in_by_attendee_id_from_the_search(desk: Desk, session: Any, make: Any) -> None:
    maria = desk.attendee("Maria", "Datawell")  # no badge printed yet
    assert desk.scan(attendee_id=maria.id).code == "ok"
    assert desk.scan(attendee_id=maria.id).code == "already_checked_in"
    stranger = make_desk(session, make).attendee("Stranger")
    assert desk.scan(attendee_id=stranger.id).code == "unknown_badge"
    assert desk.scan(attendee_id=999_999).code == "unknown_badge"
    assert rows(session, Scan)[0].raw == f"attendee:{maria.id}"


def test_a_scan_needs_a_nonce_and_one_subject(desk: Desk) -> None:
    _, token = desk.guest()
    with pytest.raises(service.CheckInError) as err:
        desk.scan(token, nonce="short")
    assert err.value.code == "invalid_nonce"
    with pytest.raises(service.CheckInError) as err:
        desk.scan(token, attendee_id=1)
    assert err.value.code == "invalid_request"
    with pytest.raises(service.CheckInError):
        desk.scan(None)


# --- exactly once -------------------------------------------------------------------------


def test_repeated_nonce_returns_the_first_answer(desk: Desk, session: Any) -> None:
    _, token = desk.guest("Maria")
    first = desk.scan(token, nonce="device-1-scan-0001")
    again = desk.scan(token, nonce="device-1-scan-0001", now=NOW + timedelta(minutes=5))
    assert again.replayed is True
    assert again.code == "ok"  # the first answer, not "already checked in"
    assert again.check_in == first.check_in
    assert again.undo_until == first.undo_until
    assert {**again.as_dict(), "replayed": False} == first.as_dict()
    assert len(rows(session, CheckIn)) == 1
    assert len(rows(session, Scan)) == 1


def test_repeated_nonce_replays_even_with_another_token(desk: Desk, session: Any) -> None:
    desk.scan("unknown-token", nonce="device-1-scan-0002")
    _, token = desk.guest()
    again = desk.scan(token, nonce="device-1-scan-0002")
    assert (again.code, again.replayed) == ("unknown_badge", True)
    assert rows(session, CheckIn) == []


def test_same_nonce_at_another_event_is_another_scan(desk: Desk, session: Any, make: Any) -> None:
    other = make_desk(session, make)
    _, token = desk.guest()
    _, other_token = other.guest()
    assert desk.scan(token, nonce="shared-nonce-1").code == "ok"
    replay = other.scan(other_token, nonce="shared-nonce-1")
    assert (replay.code, replay.replayed) == ("ok", False)


def test_repeated_nonce_with_a_list_that_does_not_exist_replays(desk: Desk, session: Any) -> None:
    first = desk.scan("unknown-token", list_id=999_999, nonce="device-1-scan-0003")
    again = desk.scan("unknown-token", list_id=999_999, nonce="device-1-scan-0003")
    assert (first.code, again.code, again.replayed) == ("not_allowed", "not_allowed", True)
    assert len(rows(session, Scan)) == 1


def test_a_copy_logged_meanwhile_wins_and_this_check_in_is_taken_back(
    desk: Desk, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lounge = desk.new_list("Lounge", allow_reentry=True)
    maria, token = desk.guest("Maria")
    first_answer = service.CheckInResult("ok", "Welcome, Maria (first copy)").as_dict()
    admit = service._admit

    def admit_while_a_copy_logs(*args: Any, **kwargs: Any) -> Any:
        answer = admit(*args, **kwargs)
        # Another copy of the same request logs its scan right after this check-in's insert.
        session.add(
            Scan(
                event_id=desk.event.id,
                list_id=lounge.id,
                staff_id=desk.staff.id,
                nonce="copy-nonce-0001",
                raw=token,
                code="ok",
                attendee_id=maria.id,
                scanned_at=NOW,
                received_at=NOW,
                response=first_answer,
            )
        )
        session.flush()
        return answer

    monkeypatch.setattr(service, "_admit", admit_while_a_copy_logs)
    result = service.check_in(
        session,
        event=desk.event,
        list_id=lounge.id,
        staff=desk.staff,
        token=token,
        nonce="copy-nonce-0001",
        scanned_at=NOW,
        now=NOW,
    )
    assert (result.message, result.replayed) == ("Welcome, Maria (first copy)", True)
    assert pending_events(session) == []  # nobody is told about the check-in taken back
    session.commit()
    assert rows(session, CheckIn) == []
    assert len(rows(session, Scan)) == 1


def test_the_database_refuses_a_second_live_check_in(desk: Desk, session: Any) -> None:
    maria, token = desk.guest()
    desk.scan(token)
    duplicate = CheckIn(
        event_id=desk.event.id,
        list_id=desk.lst.id,
        attendee_id=maria.id,
        staff_id=desk.staff.id,
        admit_once=True,
        nonce="written-by-hand",
        created_at=NOW,
        scanned_at=NOW,
    )
    session.add(duplicate)
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_scan_time_from_the_device_is_kept_but_never_in_the_future(desk: Desk) -> None:
    _, early = desk.guest()
    _, late = desk.guest()
    offline = desk.scan(early, scanned_at=NOW - timedelta(minutes=40))
    assert offline.check_in is not None and offline.check_in.at == NOW - timedelta(minutes=40)
    future = desk.scan(late, scanned_at=NOW + timedelta(hours=3))
    assert future.check_in is not None and future.check_in.at == NOW
    ancient = desk.scan(attendee_id=desk.attendee().id, scanned_at=NOW - timedelta(days=9))
    assert ancient.check_in is not None and ancient.check_in.at == NOW - timedelta(hours=24)


# --- undo ---------------------------------------------------------------------------------


def test_undo_within_30_seconds_lets_the_person_in_again(desk: Desk, session: Any) -> None:
    _, token = desk.guest()
    first = desk.scan(token)
    assert first.check_in is not None
    service.undo(
        session,
        event=desk.event,
        check_in_id=first.check_in.id,
        staff=desk.staff,
        now=NOW + timedelta(seconds=30),
    )
    session.commit()
    row = session.get(CheckIn, first.check_in.id)
    assert row.undone_at == NOW + timedelta(seconds=30) and row.undone_by_id == desk.staff.id
    assert desk.scan(token, now=NOW + timedelta(seconds=40)).code == "ok"
    assert len(rows(session, CheckIn)) == 2


def test_undo_after_30_seconds_is_refused(desk: Desk, session: Any) -> None:
    _, token = desk.guest()
    first = desk.scan(token)
    assert first.check_in is not None
    with pytest.raises(service.CheckInError) as err:
        service.undo(
            session,
            event=desk.event,
            check_in_id=first.check_in.id,
            staff=desk.staff,
            now=NOW + timedelta(seconds=31),
        )
    assert err.value.code == "undo_expired"
    session.rollback()
    assert session.get(CheckIn, first.check_in.id).undone_at is None


def test_undo_twice_or_at_another_event_is_refused(desk: Desk, session: Any, make: Any) -> None:
    _, token = desk.guest()
    first = desk.scan(token)
    assert first.check_in is not None
    service.undo(
        session, event=desk.event, check_in_id=first.check_in.id, staff=desk.staff, now=NOW
    )
    session.commit()
    with pytest.raises(service.CheckInError) as err:
        service.undo(
            session, event=desk.event, check_in_id=first.check_in.id, staff=desk.staff, now=NOW
        )
    assert err.value.code == "already_undone"
    other = make_desk(session, make)
    with pytest.raises(service.CheckInError) as err:
        service.undo(
            session, event=other.event, check_in_id=first.check_in.id, staff=other.staff, now=NOW
        )
    assert err.value.code == "not_found"


# --- re-entry -----------------------------------------------------------------------------


def test_reentry_list_admits_every_scan_as_a_new_entry(desk: Desk, session: Any) -> None:
    lounge = desk.new_list("Lounge", allow_reentry=True)
    _, token = desk.guest("Maria", "Datawell")
    answers = [
        desk.scan(token, list_id=lounge.id, now=NOW + timedelta(minutes=m)) for m in (0, 10, 20)
    ]
    assert [a.code for a in answers] == ["ok", "ok", "ok"]
    assert answers[0].message == "Welcome, Maria — Datawell"
    assert answers[1].message == "Welcome back, Maria — Datawell"
    entries = rows(session, CheckIn, list_id=lounge.id)
    assert len(entries) == 3 and not any(e.admit_once for e in entries)
    stats = service.stats(session, event=desk.event, list_id=lounge.id)
    assert stats.counts.checked_in == 1  # one person, three entries
    assert sum(b.n for b in stats.per_5min) == 3
    # The admit-once list is separate: the same badge is still new there.
    assert desk.scan(token).code == "ok"


# --- lists, counts, roster, search, stats -------------------------------------------------


def test_create_list_validates_and_keeps_names_unique(desk: Desk, session: Any) -> None:
    lst = service.create_list(
        session, event=desk.event, name="  Workshop   day 2 ", allow_reentry=True, now=NOW
    )
    assert (lst.name, lst.allow_reentry) == ("Workshop day 2", True)
    for name, code in [
        ("Workshop day 2", "list_exists"),
        ("   ", "name_required"),
        ("x" * 101, "too_long"),
    ]:
        with pytest.raises(service.CheckInError) as err:
            service.create_list(session, event=desk.event, name=name, allow_reentry=False, now=NOW)
        assert err.value.code == code
    session.rollback()


def test_lists_with_counts(desk: Desk, session: Any, make: Any) -> None:
    day2 = desk.new_list("Day 2")
    guests = [desk.guest() for _ in range(3)]
    for _, token in guests[:2]:
        desk.scan(token)
    desk.scan(guests[0][1], list_id=day2.id)
    make_desk(session, make).guest()  # another event's attendee is not expected here
    counts = {
        c.list.name: (c.checked_in, c.expected)
        for c in service.lists_with_counts(session, event=desk.event)
    }
    assert counts == {"Main entrance": (2, 3), "Day 2": (1, 3)}


def test_roster_has_token_hashes_names_and_no_emails(desk: Desk, session: Any) -> None:
    maria, token = desk.guest("Maria", "Datawell")
    no_badge = desk.attendee("Nobadge Person", email="nobadge@example.com")
    revoked, old = desk.guest("Rev Oked")
    new = badges.revoke_badge(session, attendee=revoked, now=NOW).token
    session.commit()
    desk.scan(token)
    roster = service.roster(session, event=desk.event, list_id=desk.lst.id, now=NOW)
    by_id = {e.attendee_id: e for e in roster.entries}
    assert by_id[maria.id].h == hashlib.sha256(token.encode()).hexdigest()
    assert by_id[maria.id].checked_in is True
    assert by_id[no_badge.id].h is None and by_id[no_badge.id].checked_in is False
    assert by_id[revoked.id].h == service.token_hash(new)
    assert service.token_hash(old) not in {e.h for e in roster.entries}
    assert "@" not in repr([e.as_dict() for e in roster.entries])
    assert (roster.counts.expected, roster.counts.checked_in) == (3, 1)


def test_search_by_name_email_or_company_without_returning_emails(desk: Desk, session: Any) -> None:
    maria, token = desk.guest("Maria Fernández", "Datawell")
    desk.attendee("Bob Stone", "Quarry Ltd", email="bob.stone@quarry.example")
    desk.scan(token)

    def names(q: str) -> list[str]:
        return [r.name for r in service.search(session, event=desk.event, q=q, list_id=desk.lst.id)]

    assert names("fernández") == ["Maria Fernández"]
    assert names("DATAWELL") == ["Maria Fernández"]
    assert names("quarry.example") == ["Bob Stone"]
    assert names("%") == [] and names("_") == []
    assert names("  ") == []
    [found] = service.search(session, event=desk.event, q="maria", list_id=desk.lst.id)
    assert found.checked_in is True and found.attendee_id == maria.id
    assert "email" not in found.as_dict()


def test_search_returns_at_most_20(desk: Desk, session: Any) -> None:
    for n in range(25):
        desk.attendee(f"Same Name {n:02d}")
    assert len(service.search(session, event=desk.event, q="same name")) == 20


def test_stats_count_recent_and_five_minute_buckets(desk: Desk, session: Any) -> None:
    guests = [desk.guest(f"Guest {n}", "Co") for n in range(4)]
    minutes = [0, 1, 8, 12]  # 07:12, 07:13 -> bucket 07:10; 07:20, 07:24 -> bucket 07:20
    for (_, token), m in zip(guests, minutes, strict=True):
        desk.scan(token, now=NOW + timedelta(minutes=m))
    stats = service.stats(session, event=desk.event, list_id=desk.lst.id)
    assert (stats.counts.checked_in, stats.counts.expected) == (4, 4)
    assert [r.name for r in stats.recent] == ["Guest 3", "Guest 2", "Guest 1", "Guest 0"]
    assert stats.recent[0].by == "Sam Porter"
    t0 = datetime(2026, 6, 1, 7, 10, tzinfo=UTC)
    assert [(b.t, b.n) for b in stats.per_5min] == [
        (t0, 2),
        (t0 + timedelta(minutes=5), 0),
        (t0 + timedelta(minutes=10), 2),
    ]


def test_stats_keep_the_last_ten(desk: Desk, session: Any) -> None:
    for n in range(12):
        _, token = desk.guest(f"Guest {n:02d}")
        desk.scan(token, now=NOW + timedelta(seconds=n))
    stats = service.stats(session, event=desk.event, list_id=desk.lst.id)
    assert len(stats.recent) == 10 and stats.recent[0].name == "Guest 11"


def test_buckets_of_nothing_and_of_a_long_day() -> None:
    assert service.buckets([]) == []
    times = [NOW, NOW + timedelta(days=3)]
    filled = service.buckets(times)
    assert len(filled) == service.MAX_BUCKETS and filled[-1].n == 1


def test_stats_of_another_events_list_is_not_found(desk: Desk, session: Any, make: Any) -> None:
    other = make_desk(session, make)
    with pytest.raises(service.CheckInError) as err:
        service.stats(session, event=desk.event, list_id=other.lst.id)
    assert err.value.code == "not_found"


# --- live updates and my data -------------------------------------------------------------


def test_ok_and_undo_tell_staff_and_organiser_rooms(desk: Desk, session: Any) -> None:
    _, token = desk.guest("Maria", "Datawell")
    result = service.check_in(
        session,
        event=desk.event,
        list_id=desk.lst.id,
        staff=desk.staff,
        token=token,
        nonce="live-nonce-1",
        scanned_at=NOW,
        now=NOW,
    )
    events = pending_events(session)
    assert [(e.name, e.room) for e in events] == [
        ("checkin_update", f"event:{desk.event.id}:staff"),
        ("checkin_update", f"event:{desk.event.id}:organiser"),
    ]
    payload = events[0].payload
    assert (payload["list_id"], payload["checked_in"], payload["expected"]) == (desk.lst.id, 1, 1)
    assert payload["version"] == 1
    assert payload["last"]["name"] == "Maria" and payload["last"]["by"] == "Sam Porter"
    session.commit()
    assert result.check_in is not None
    service.undo(
        session, event=desk.event, check_in_id=result.check_in.id, staff=desk.staff, now=NOW
    )
    undo_events = pending_events(session)
    assert len(undo_events) == 2
    assert undo_events[0].payload["checked_in"] == 0 and undo_events[0].payload["last"] is None
    assert undo_events[0].payload["version"] == 2
    session.commit()


def test_refused_scans_tell_nobody(desk: Desk, session: Any) -> None:
    service.check_in(
        session,
        event=desk.event,
        list_id=desk.lst.id,
        staff=desk.staff,
        token="nope-nope",
        nonce="quiet-nonce-1",
        scanned_at=NOW,
        now=NOW,
    )
    assert pending_events(session) == []
    session.rollback()


def test_every_change_raises_the_lists_version_and_every_answer_carries_it(
    desk: Desk, session: Any
) -> None:
    day2 = desk.new_list("Day 2")
    guests = [desk.guest() for _ in range(3)]

    def versions() -> dict[str, tuple[int, int]]:
        return {
            c.list.name: (c.version, c.checked_in)
            for c in service.lists_with_counts(session, event=desk.event)
        }

    assert versions() == {"Main entrance": (0, 0), "Day 2": (0, 0)}
    first = desk.scan(guests[0][1])
    desk.scan(guests[1][1])
    desk.scan(guests[1][1])  # already in: nothing changed, no new version
    desk.scan("nope-nope")  # refused: no new version
    desk.scan(guests[2][1], list_id=day2.id)
    assert versions() == {"Main entrance": (2, 2), "Day 2": (1, 1)}
    assert first.check_in is not None
    service.undo(
        session, event=desk.event, check_in_id=first.check_in.id, staff=desk.staff, now=NOW
    )
    session.commit()
    assert versions() == {"Main entrance": (3, 1), "Day 2": (1, 1)}
    # The roster and the dashboard's stats carry the same version with their counts.
    roster = service.roster(session, event=desk.event, list_id=desk.lst.id, now=NOW)
    assert (roster.counts.version, roster.counts.checked_in) == (3, 1)
    stats = service.stats(session, event=desk.event, list_id=desk.lst.id)
    assert stats.as_dict()["list"]["version"] == 3


def test_my_data_lists_my_check_ins(desk: Desk, session: Any) -> None:
    maria, token = desk.guest("Maria")
    desk.scan(token)
    data = people.export_data(session, attendee=maria)
    assert data["check_ins"] == [{"list": "Main entrance", "at": NOW.isoformat(), "undone": False}]
