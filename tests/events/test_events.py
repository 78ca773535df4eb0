"""Events: create, edit, dashboard, public page, and per-event roles."""

from datetime import date, timedelta
from typing import Any

import pytest

from conference.db import utcnow
from conference.events import service
from conference.events.models import Event, Membership
from tests.factories import PASSWORD

FORM = {
    "name": "PyCon Test",
    "slug": "pycon-test",
    "starts_on": "2026-09-01",
    "ends_on": "2026-09-03",
    "timezone": "Europe/Berlin",
    "venue": "Hall A",
    "description": "Talks",
}


def test_organiser_creates_an_event_and_sees_it(
    client: Any, session: Any, make: Any, auth: Any
) -> None:
    organiser = make.account()
    auth.login(organiser)
    response = client.post("/organiser/events/new", data=FORM | {"registration_open": "y"})
    assert response.status_code == 302
    event = service.get_event(session, "pycon-test")
    assert event is not None
    assert (event.starts_on, event.ends_on, event.timezone) == (
        date(2026, 9, 1),
        date(2026, 9, 3),
        "Europe/Berlin",
    )
    assert event.registration_open is True
    assert service.role_in(session, account_id=organiser.id, event_id=event.id) == "organiser"
    dashboard = client.get("/organiser")
    assert b"PyCon Test" in dashboard.data
    public = client.get("/e/pycon-test")
    assert public.status_code == 200
    assert b"PyCon Test" in public.data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_on": "2026-08-01"}, b"cannot end before it starts"),
        ({"slug": "Not A Slug"}, b"lower-case letters"),
        ({"slug": "new"}, b"lower-case letters"),
        ({"timezone": "Mars/Olympus"}, b"Not a valid choice"),
        ({"name": ""}, b"This field is required"),
    ],
)
def test_bad_event_input_gets_a_clear_error(
    client: Any, make: Any, auth: Any, change: dict, message: bytes, session: Any
) -> None:
    auth.login(make.account())
    response = client.post("/organiser/events/new", data=FORM | change)
    assert response.status_code == 422
    assert message in response.data
    assert session.query(Event).count() == 0


def test_slug_must_be_unique(client: Any, make: Any, auth: Any) -> None:
    make.event(slug="pycon-test")
    auth.login(make.account())
    response = client.post("/organiser/events/new", data=FORM)
    assert response.status_code == 422
    assert b"already taken" in response.data


def test_organiser_edits_an_event(client: Any, session: Any, make: Any, auth: Any) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser, slug="old-slug")
    auth.login(organiser)
    assert client.get("/organiser/events/old-slug/edit").status_code == 200
    response = client.post("/organiser/events/old-slug/edit", data=FORM | {"slug": "new-slug"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Event, event.id).slug == "new-slug"
    assert client.get("/e/old-slug").status_code == 404


ORGANISER_PAGES = [
    ("get", "/organiser/events/{slug}/edit"),
    ("post", "/organiser/events/{slug}/edit"),
    ("get", "/organiser/events/{slug}/team"),
    ("post", "/organiser/events/{slug}/team"),
]


@pytest.mark.parametrize(("method", "path"), ORGANISER_PAGES)
def test_staff_member_gets_403_on_organiser_pages(
    client: Any, make: Any, auth: Any, method: str, path: str
) -> None:
    event = make.event()
    staff = make.member(event, role="staff")
    auth.login(staff)
    response = getattr(client, method)(path.format(slug=event.slug), data=FORM)
    assert response.status_code == 403
    assert b"You do not have access" in response.data


@pytest.mark.parametrize(
    ("method", "path"), [*ORGANISER_PAGES, ("get", "/organiser/events/{slug}")]
)
def test_organiser_of_another_event_gets_403(
    client: Any, make: Any, auth: Any, method: str, path: str
) -> None:
    event = make.event()
    other_organiser = make.account()
    make.event(organiser=other_organiser)
    auth.login(other_organiser)
    response = getattr(client, method)(path.format(slug=event.slug), data=FORM)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [*ORGANISER_PAGES, ("get", "/organiser/events/{slug}"), ("get", "/organiser")],
)
def test_anonymous_is_sent_to_login(client: Any, make: Any, method: str, path: str) -> None:
    event = make.event()
    response = getattr(client, method)(path.format(slug=event.slug), data=FORM)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_staff_sees_the_event_overview_without_management_links(
    client: Any, make: Any, auth: Any
) -> None:
    event = make.event()
    auth.login(make.member(event, role="staff"))
    page = client.get(f"/organiser/events/{event.slug}")
    assert page.status_code == 200
    assert b"Edit settings" not in page.data


def test_unknown_event_is_a_styled_404(client: Any) -> None:
    response = client.get("/e/no-such-event")
    assert response.status_code == 404
    assert b"We could not find that page" in response.data
    assert b"known.css" in response.data


def test_invite_flow_creates_a_staff_account(
    client: Any, session: Any, make: Any, auth: Any
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    auth.login(organiser)
    page = client.post(f"/organiser/events/{event.slug}/team", data={"role": "staff"})
    assert page.status_code == 200
    invite_url = page.data.decode().split('id="invite-url" type="text" readonly value="')[1]
    invite_path = invite_url.split('"')[0].replace("http://known.test", "")
    auth.logout()

    form = {
        "name": "Door Sam",
        "email": "sam@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    accepted = client.post(invite_path, data=form)
    assert accepted.status_code == 302
    account = session.query(Membership).filter_by(event_id=event.id, role="staff").one().account
    assert account.email == "sam@example.org"
    # Single use: the same link cannot add a second person.
    auth.logout()
    again = client.post(invite_path, data=form | {"email": "eve@example.org"})
    assert again.status_code == 410
    assert b"already been used" in again.data


def test_invite_expires(session: Any, make: Any) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    now = utcnow()
    _, token = service.create_invite(session, event=event, created_by=organiser, now=now)
    session.commit()
    with pytest.raises(service.EventError) as err:
        service.open_invite(session, token=token, now=now + timedelta(days=8))
    assert err.value.code == "invite_expired"


def test_existing_account_joins_with_one_click(
    client: Any, session: Any, make: Any, auth: Any
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    _, token = service.create_invite(
        session, event=event, created_by=organiser, now=utcnow(), role="organiser"
    )
    session.commit()
    colleague = make.account()
    auth.login(colleague)
    assert client.post(f"/invite/{token}").status_code == 302
    assert service.role_in(session, account_id=colleague.id, event_id=event.id) == "organiser"


def test_invite_token_is_stored_hashed(session: Any, make: Any) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    invite, token = service.create_invite(session, event=event, created_by=organiser, now=utcnow())
    assert len(token) >= 32
    assert token not in invite.token_hash
