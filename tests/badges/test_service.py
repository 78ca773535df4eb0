"""Badge service: issuing, revoking and resolving badge tokens; what a printed badge shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conference.badges import service
from conference.badges.models import Badge
from conference.badges.views import badge_cards, badge_handle
from conference.people import service as people
from conference.people.handles import parse_handle
from conference.people.models import AttendeeHandle

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def test_ensure_badge_issues_a_long_random_token_once(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event())
    badge = service.ensure_badge(session, attendee=attendee, now=NOW)
    session.commit()
    # 128 bits or more: at least 22 URL-safe base64 characters.
    assert len(badge.token) >= 22
    assert URL_SAFE.match(badge.token)
    assert badge.token not in (str(badge.id), str(attendee.id))
    assert str(attendee.id) != badge.token.lstrip("0")
    assert (badge.event_id, badge.attendee_id, badge.revoked_at) == (
        attendee.event_id,
        attendee.id,
        None,
    )
    again = service.ensure_badge(session, attendee=attendee, now=NOW + timedelta(hours=1))
    assert again.id == badge.id and again.token == badge.token
    assert session.scalar(sa.select(sa.func.count(Badge.id))) == 1


def test_tokens_are_distinct_across_attendees(session: Any, make: Any) -> None:
    event = make.event()
    tokens = {
        service.ensure_badge(session, attendee=make.attendee(event), now=NOW).token
        for _ in range(20)
    }
    assert len(tokens) == 20


def test_revoke_issues_a_new_token_and_the_old_one_stops_resolving(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event())
    old = service.ensure_badge(session, attendee=attendee, now=NOW)
    old_token = old.token
    new = service.revoke_badge(session, attendee=attendee, now=NOW + timedelta(minutes=5))
    session.commit()
    assert new.token != old_token and new.id != old.id
    assert old.revoked_at == NOW + timedelta(minutes=5)
    assert service.live_badge(session, attendee.id) is new
    assert service.resolve(session, old_token).status == service.REVOKED
    lookup = service.resolve(session, new.token)
    assert lookup.status == service.OK
    assert lookup.attendee is not None and lookup.attendee.id == attendee.id
    assert lookup.event_id == attendee.event_id


def test_revoke_without_a_badge_just_issues_one(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event())
    badge = service.revoke_badge(session, attendee=attendee, now=NOW)
    assert service.resolve(session, badge.token).status == service.OK


def test_one_live_badge_per_attendee_is_a_database_invariant(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event())
    service.ensure_badge(session, attendee=attendee, now=NOW)
    session.commit()
    session.add(
        Badge(event_id=attendee.event_id, attendee_id=attendee.id, token="x" * 32, created_at=NOW)
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_ensure_badges_issues_for_many_in_a_constant_number_of_queries(
    session: Any, make: Any
) -> None:
    event = make.event()
    attendees = [make.attendee(event) for _ in range(25)]
    existing = service.ensure_badge(session, attendee=attendees[3], now=NOW)
    session.commit()
    ids = {a.id for a in attendees}  # reloads the rows the commit expired, before counting
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        badges = service.ensure_badges(session, attendees=attendees, now=NOW)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    session.commit()
    assert set(badges) == ids
    assert badges[attendees[3].id].token == existing.token
    assert len({b.token for b in badges.values()}) == 25
    # One select however many attendees, and no per-attendee reads.
    assert [s.split()[0] for s in statements].count("SELECT") == 1, statements
    assert not any("attendee" in s.split("FROM")[-1].split()[0] for s in statements if "FROM" in s)
    if engine.dialect.name == "postgresql":
        # PostgreSQL batches the 24 inserts into one INSERT … RETURNING (SQLite cannot);
        # the savepoint that guards against a concurrent print adds SAVEPOINT and RELEASE.
        work = [s for s in statements if s.split()[0] not in ("SAVEPOINT", "RELEASE")]
        assert len(work) <= 3, statements
    again = service.ensure_badges(session, attendees=attendees, now=NOW)
    assert {k: b.token for k, b in again.items()} == {k: b.token for k, b in badges.items()}


def test_deleted_attendees_get_no_badge_and_their_badge_stops_resolving(
    session: Any, make: Any
) -> None:
    event = make.event()
    kept, gone = make.attendee(event), make.attendee(event)
    token = service.ensure_badge(session, attendee=gone, now=NOW).token
    people.delete_profile(session, attendee=gone, now=NOW)
    session.commit()
    assert service.resolve(session, token).status == service.REVOKED
    with pytest.raises(service.BadgeError) as err:
        service.revoke_badge(session, attendee=gone, now=NOW)
    assert err.value.code == "not_found"
    assert set(service.ensure_badges(session, attendees=[kept, gone], now=NOW)) == {kept.id}


@pytest.mark.parametrize("token", ["", "nope", "x" * 65, "../../etc/passwd"])
def test_unknown_tokens_resolve_to_unknown(session: Any, make: Any, token: str) -> None:
    service.ensure_badge(session, attendee=make.attendee(make.event()), now=NOW)
    assert service.resolve(session, token) == service.BadgeLookup(service.UNKNOWN)


def test_badge_url_joins_the_base_url_and_the_token() -> None:
    assert service.badge_url("https://known.example/", "AbC") == "https://known.example/b/AbC"
    assert service.badge_url("http://known.test", "AbC") == "http://known.test/b/AbC"


@pytest.mark.parametrize(
    ("text", "platform", "printed"),
    [
        ("@maria_dev", "x", "@maria_dev"),
        ("mariadev", "github", "@mariadev"),
        ("chloe.designs", "instagram", "@chloe.designs"),
        ("@gracekim", "threads", "@gracekim"),
        ("aiko.bsky.social", "bluesky", "@aiko.bsky.social"),
        ("@maria@fosstodon.org", "mastodon", "@maria@fosstodon.org"),
        ("https://www.linkedin.com/in/samuel-okafor/", "linkedin", "linkedin.com/in/samuel-okafor"),
        ("https://www.diego.example.com/talks/2026", "website", "diego.example.com"),
    ],
)
def test_badge_handle_is_short_enough_to_read_across_a_room(
    text: str, platform: str, printed: str
) -> None:
    handle = parse_handle(text, platform)
    row = AttendeeHandle(platform=handle.platform, handle=handle.handle, url=handle.url)
    assert badge_handle(row) == printed


def test_badge_handle_of_nobody_is_empty() -> None:
    assert badge_handle(None) == ""


def test_badge_cards_issue_tokens_lazily_and_show_the_primary_handle(
    session: Any, make: Any
) -> None:
    event = make.event(name="PyCon Test")
    maria = make.attendee(
        event, name="Maria", company="Datawell", handles=("mastodon:@m@a.social", "x:@maria")
    )
    plain = make.attendee(event, name="Plain")
    cards = badge_cards(
        session, event=event, attendees=iter([maria, plain]), base_url="http://k.test", now=NOW
    )
    assert session.scalar(sa.select(sa.func.count(Badge.id))) == 0  # nothing until consumed
    first, second = list(cards)
    token = service.live_badge(session, maria.id)
    assert token is not None
    assert (first.name, first.company, first.handle, first.url, first.event_name) == (
        "Maria",
        "Datawell",
        "@m@a.social",
        f"http://k.test/b/{token.token}",
        "PyCon Test",
    )
    assert (second.name, second.handle) == ("Plain", "")
