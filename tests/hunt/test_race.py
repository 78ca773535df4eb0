"""The first-finder bonus under real concurrency, against PostgreSQL (SQLite serialises writers).

Two attendees on two test clients (each its own session and connection) open the same badge at
the same moment. Both meetings complete the "meet 1" mission; both requests are held at a
barrier right after building their first-finder ledger entry, so both inserts of
``hunt-first:<mission>`` reach PostgreSQL together. The ledger's unique (event, source key)
lets exactly one through; the other request still completes the mission, without the bonus.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event as sa_event

from conference.badges import service as badges
from conference.db import utcnow
from conference.events.models import Event
from conference.extensions import db
from conference.hunt import service
from conference.hunt.models import MissionCompletion
from conference.people import service as people
from conference.scoring.models import PointsEntry
from tests import conftest
from tests.conftest import make_test_app
from tests.factories import Factory
from tests.hunt.conftest import PLAYER

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[Any]:
    """An app on the migrated PostgreSQL schema; emptied afterwards."""
    application = make_test_app(postgres_url)
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        conftest._truncate_all(postgres_url)


def _setup(app: Any) -> tuple[str, str, list[str], int]:
    """An open hunt with a "meet 1" mission and a bonus; two finders' login links; a badge."""
    with app.app_context():
        session = db.session
        make = Factory(session)
        event = make.event(slug="race-conf")
        now = utcnow()
        hunt = service.create_hunt(
            session,
            event=event,
            fields=service.HuntFields("Race", now - timedelta(hours=1), now + timedelta(hours=1)),
            now=now,
        )
        mission = service.add_mission(
            session,
            hunt=hunt,
            fields=service.MissionFields(
                title="Say hi", kind="meet_n", params={"n": 1}, points=100, first_bonus=50
            ),
            now=now,
        )
        target = make.attendee(event, name="Target", consents=PLAYER)
        finders = [make.attendee(event, name=f"Finder {i}", consents=PLAYER) for i in (1, 2)]
        badge = badges.ensure_badge(session, attendee=target, now=now).token
        links = [
            people.issue_login_link(
                session, attendee=f, event=session.get(Event, event.id), now=now
            )
            for f in finders
        ]
        session.commit()
        return event.slug, badge, links, mission.id


def test_two_finders_at_once_get_one_first_finder_bonus(pg_app: Any, postgres_url: str) -> None:
    slug, badge, links, mission_id = _setup(pg_app)
    barrier = threading.Barrier(2, timeout=20)

    def hold(target: PointsEntry, args: Any, kwargs: Any) -> None:
        if str(kwargs.get("source_key", "")).startswith("hunt-first:"):
            barrier.wait()  # both bonus rows are built: now both inserts race

    pages: list[str] = []
    errors: list[BaseException] = []

    def finder(link: str) -> None:
        try:
            client = pg_app.test_client()
            assert client.get(f"/e/{slug}/login/{link}").status_code == 302
            response = client.get(f"/b/{badge}")
            assert response.status_code == 200
            pages.append(response.get_data(as_text=True))
        except BaseException as err:  # reported in the test's thread
            errors.append(err)
            barrier.abort()

    sa_event.listen(PointsEntry, "init", hold)
    try:
        threads = [threading.Thread(target=finder, args=(link,)) for link in links]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sa_event.remove(PointsEntry, "init", hold)
    assert not errors, errors

    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        bonuses = conn.execute(
            sa.select(PointsEntry.attendee_id, PointsEntry.points).where(
                PointsEntry.source_key == f"hunt-first:{mission_id}"
            )
        ).all()
        completions = conn.execute(
            sa.select(MissionCompletion.attendee_id, MissionCompletion.bonus).where(
                MissionCompletion.mission_id == mission_id
            )
        ).all()
        paid = Counter(
            conn.scalars(
                sa.select(PointsEntry.points).where(PointsEntry.source_key.like("hunt-mission:%"))
            )
        )
    engine.dispose()
    assert len(bonuses) == 1 and bonuses[0].points == 50
    assert sorted(c.bonus for c in completions) == [0, 50]
    assert next(c.attendee_id for c in completions if c.bonus) == bonuses[0].attendee_id
    assert paid == {100: 2}
    assert sorted("first to find it: +50" in page for page in pages) == [False, True]
