"""Demo check-in list for the demo event."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conference.checkin import service
from conference.checkin.models import CheckInList
from conference.events.models import Event

DEMO_LIST = "Main entrance"


def seed(session: Session, event: Event, now: datetime) -> None:
    """Create the "Main entrance" list once."""
    exists = session.scalar(
        sa.select(CheckInList.id).where(
            CheckInList.event_id == event.id, CheckInList.name == DEMO_LIST
        )
    )
    if exists is None:
        service.create_list(session, event=event, name=DEMO_LIST, allow_reentry=False, now=now)
