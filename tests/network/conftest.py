"""Network fixtures: an event of attendees imported from the sample sheet, logins, samples."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conference.badges import service as badges
from conference.db import utcnow
from conference.events.models import Event
from conference.people import import_jobs
from conference.people import service as people
from conference.people.importing import guess_mapping, read_table
from conference.people.models import Attendee

SAMPLES = Path(__file__).parent / "samples"
PEOPLE_SAMPLES = Path(__file__).parent.parent / "people" / "samples"
# 10:42 in Berlin (summer time), where the test events happen.
NOW = datetime(2026, 6, 1, 8, 42, tzinfo=UTC)

# Who of the sample attendees (attendees_simple.csv) each sample follow list holds.
MASTODON_MATCHES = {
    "Ana García Ruiz",
    "Jonas Keller",
    "Priya Raman",
    "Liam O'Connor",
    "Mei-Ling Chen",
    "Diego Fernández",
    "Leila Haddad",
    "Daniel Cohen",
}
LINKEDIN_MATCHES = {
    "Zanele Dlamini",
    "Grace Kim",
    "Jonas Keller",
    "Daniel Cohen",
    "Chloé Dubois",
    "Mei-Ling Chen",
    "Tomasz Nowak",
    "Ana García Ruiz",
}


def sample(name: str) -> bytes:
    """A follow-list sample of this folder."""
    return (SAMPLES / name).read_bytes()


def show_card(session: Any, attendee: Attendee, card: bool = True) -> None:
    """Turn the attendee's card consent on (or off) through the people service."""
    people.update_attendee(
        session,
        attendee=attendee,
        profile=people.Profile(
            name=attendee.name,
            email=attendee.email or "",
            company=attendee.company,
            job_title=attendee.job_title,
            pronouns=attendee.pronouns,
            bio=attendee.bio,
        ),
        consents=people.Consents(
            card=card, game=attendee.consent_game, leaderboard=attendee.consent_leaderboard
        ),
    )
    session.commit()


def import_sample_attendees(session: Any, event: Event, *, consent: bool = True) -> list[Attendee]:
    """attendees_simple.csv through the organiser's import; with ``consent``, all show cards."""
    data = (PEOPLE_SAMPLES / "attendees_simple.csv").read_bytes()
    account = event.memberships[0].account
    job = import_jobs.create_job(
        session, event=event, account=account, filename="attendees.csv", data=data, now=NOW
    )
    import_jobs.save_mapping(session, job=job, mapping=guess_mapping(read_table(data)))
    import_jobs.run_all(session, job=job, now=NOW)
    session.commit()
    attendees = list(session.query(Attendee).filter_by(event_id=event.id).order_by(Attendee.id))
    if consent:
        for attendee in attendees:
            show_card(session, attendee)
    return attendees


def log_in(client: Any, session: Any, attendee: Attendee) -> None:
    """Log ``attendee`` in on ``client`` through a magic link."""
    event = session.get(Event, attendee.event_id)
    # Real time: the login view checks expiry against the clock, not against NOW.
    token = people.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302


def badge_token(session: Any, attendee: Attendee) -> str:
    """The attendee's live badge token."""
    token = badges.ensure_badge(session, attendee=attendee, now=NOW).token
    session.commit()
    return token


@pytest.fixture
def event(make: Any) -> Event:
    return make.event(name="PyCon Test", slug="pycon-test", timezone="Europe/Berlin")


@pytest.fixture
def crowd(session: Any, event: Event) -> dict[str, Attendee]:
    """The 30 sample attendees, by name, all showing their card."""
    return {a.name: a for a in import_sample_attendees(session, event)}
