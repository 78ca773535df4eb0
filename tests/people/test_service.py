"""People service: attendees, e-mail uniqueness, magic links, my data, deletion."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conference.people import service
from conference.people.handles import parse_handle
from conference.people.models import Attendee, AttendeeHandle, Avatar, LoginLink
from tests.people.test_avatars import png_bytes

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_new_attendee_has_every_consent_off(make: Any) -> None:
    attendee = make.attendee(make.event())
    assert service.consents_of(attendee) == service.Consents(False, False, False)


def test_email_is_unique_per_event_case_insensitively(session: Any, make: Any) -> None:
    event = make.event()
    make.attendee(event, email="Maria@Example.com")
    with pytest.raises(service.PeopleError) as err:
        make.attendee(event, email=" maria@EXAMPLE.com ")
    assert err.value.code == "email_taken"
    # The same person may attend another event.
    assert make.attendee(make.event(), email="maria@example.com").email == "maria@example.com"


@pytest.mark.parametrize(
    ("profile", "code"),
    [
        (service.Profile(name=" ", email="a@example.com"), "name_required"),
        (service.Profile(name="A", email="not-an-email"), "invalid_email"),
        (service.Profile(name="A" * 201, email="a@example.com"), "too_long"),
        (service.Profile(name="A", email="a@example.com", pronouns="x" * 41), "too_long"),
    ],
)
def test_bad_profiles_are_refused(session: Any, make: Any, profile: Any, code: str) -> None:
    event = make.event()
    with pytest.raises(service.PeopleError) as err:
        service.create_attendee(session, event=event, profile=profile)
    assert err.value.code == code
    session.rollback()
    assert session.query(Attendee).count() == 0


def test_handles_are_stored_canonical_one_per_platform(session: Any, make: Any) -> None:
    attendee = make.attendee(
        make.event(), handles=("x:https://twitter.com/Maria_Dev/", "mastodon:maria@Fosstodon.org")
    )
    assert [(h.platform, h.handle, h.url) for h in attendee.handles] == [
        ("x", "maria_dev", "https://x.com/maria_dev"),
        ("mastodon", "maria@fosstodon.org", "https://fosstodon.org/@maria"),
    ]
    assert attendee.primary_handle is not None
    assert attendee.primary_handle.display == "@maria_dev"
    with pytest.raises(service.PeopleError) as err:
        service.update_attendee(
            session,
            attendee=attendee,
            profile=service.Profile(name=attendee.name, email=attendee.email or ""),
            handles=[parse_handle("a", "x"), parse_handle("b", "x")],
        )
    assert err.value.code == "duplicate_platform"


def test_updating_handles_replaces_them(session: Any, make: Any) -> None:
    attendee = make.attendee(make.event(), handles=("x:@one", "github:one"))
    service.update_attendee(
        session,
        attendee=attendee,
        profile=service.Profile(name="New Name", email=attendee.email or ""),
        handles=[parse_handle("two", "github")],
    )
    session.commit()
    rows = session.scalars(
        sa.select(AttendeeHandle).where(AttendeeHandle.attendee_id == attendee.id)
    )
    assert [(h.platform, h.handle) for h in rows] == [("github", "two")]


def _event(make: Any) -> Any:
    return make.event(
        starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2), timezone="Europe/Berlin"
    )


def test_login_link_default_expiry_is_event_end_plus_seven_days(session: Any, make: Any) -> None:
    event = _event(make)
    expiry = service.default_link_expiry(event)
    # 2 June 23:59:59 in Berlin (UTC+2) is 21:59:59 UTC; plus seven days.
    assert expiry.astimezone(UTC).replace(microsecond=0) == datetime(
        2026, 6, 9, 21, 59, 59, tzinfo=UTC
    )


def test_login_link_logs_in_until_it_expires(session: Any, make: Any) -> None:
    event = _event(make)
    attendee = make.attendee(event)
    token = service.issue_login_link(session, attendee=attendee, event=event, now=NOW)
    assert len(token) >= 32  # 192 random bits, URL-safe
    assert session.scalar(sa.select(LoginLink.token_hash)) != token
    assert service.login_with_link(session, event=event, token=token, now=NOW) == attendee
    late = NOW + timedelta(days=9)
    with pytest.raises(service.PeopleError) as err:
        service.login_with_link(session, event=event, token=token, now=late)
    assert err.value.code == "link_expired"


def test_revoked_link_stops_working(session: Any, make: Any) -> None:
    event = _event(make)
    attendee = make.attendee(event)
    token = service.issue_login_link(session, attendee=attendee, event=event, now=NOW)
    assert service.revoke_login_links(session, attendee=attendee, now=NOW) == 1
    with pytest.raises(service.PeopleError) as err:
        service.login_with_link(session, event=event, token=token, now=NOW)
    assert err.value.code == "link_revoked"


def test_link_of_another_event_or_garbage_is_invalid(session: Any, make: Any) -> None:
    event, other = _event(make), _event(make)
    token = service.issue_login_link(session, attendee=make.attendee(event), event=event, now=NOW)
    for bad_event, bad_token in [(other, token), (event, "x" * 32)]:
        with pytest.raises(service.PeopleError) as err:
            service.login_with_link(session, event=bad_event, token=bad_token, now=NOW)
        assert err.value.code == "invalid_link"


def test_export_data_holds_profile_handles_consents(session: Any, make: Any) -> None:
    attendee = make.attendee(
        make.event(), name="Zoë", handles=("github:zoe",), consents=service.Consents(card=True)
    )
    data = service.export_data(session, attendee=attendee)
    assert data["profile"]["name"] == "Zoë"
    assert data["handles"] == [
        {"platform": "github", "handle": "zoe", "url": "https://github.com/zoe"}
    ]
    assert data["consents"]["show_card_to_scanners"] is True
    assert data["consents"]["answer_in_quizzes_and_hunt_target"] is False


def test_delete_profile_erases_personal_data_but_keeps_the_row(session: Any, make: Any) -> None:
    event = _event(make)
    attendee = make.attendee(
        event,
        name="Maria",
        company="Datawell",
        handles=("x:maria",),
        consents=service.Consents(True, True, True),
        bio="hello",
    )
    service.set_avatar(session, attendee=attendee, upload=png_bytes(64, 64), now=NOW)
    token = service.issue_login_link(session, attendee=attendee, event=event, now=NOW)
    session.commit()
    attendee_id = attendee.id

    service.delete_profile(session, attendee=attendee, now=NOW)
    session.commit()
    session.expire_all()

    row = session.get(Attendee, attendee_id)
    assert row is not None
    assert (row.name, row.email, row.company, row.bio) == ("Deleted attendee", None, "", "")
    assert service.consents_of(row) == service.Consents()
    assert session.query(AttendeeHandle).filter_by(attendee_id=attendee_id).count() == 0
    assert session.get(Avatar, attendee_id) is None
    with pytest.raises(service.PeopleError):
        service.login_with_link(session, event=event, token=token, now=NOW)
    # The address is free again: the person can register anew.
    assert make.attendee(event, email="attendee-again@example.com")


def test_search_by_name_email_company_and_handle(session: Any, make: Any) -> None:
    event = make.event()
    maria = make.attendee(
        event, name="Maria Fernández", company="Datawell", handles=("x:@maria_dev",)
    )
    jonas = make.attendee(event, name="Jonas", email="jonas@kiel.example", company="Kiel 100%")
    make.attendee(make.event(), name="Maria Elsewhere")

    def found(**kw: Any) -> list[int]:
        rows, total = service.search_attendees(
            session, event_id=event.id, flt=service.AttendeeFilter(**kw)
        )
        assert total == len(rows)
        return [a.id for a in rows]

    assert found(q="maria") == [maria.id]
    assert found(q="@MARIA_dev") == [maria.id]
    assert found(q="kiel.example") == [jonas.id]
    assert found(q="100%") == [jonas.id]
    assert found(q="datawell") == [maria.id]
    assert found(has_handles="yes") == [maria.id]
    assert found(has_handles="no") == [jonas.id]
    assert sorted(found(consent="none")) == sorted([jonas.id, maria.id])
    assert found(consent="card") == []
