"""Demo follow lists: the demo attendees already "know" each other online.

Maria follows Jonas, Aiko, Priya and Grace (and Fatima, whose card is private, so she is never
matched); Jonas and Aiko follow Maria back, so Maria meeting either is a mutual recognition.
Idempotent: importing the same handles twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from conference.events.models import Event
from conference.network import service
from conference.people import service as people
from conference.people.handles import parse_handle

# e-mail of the follower -> what they follow ("platform:handle")
DEMO_FOLLOWS: dict[str, tuple[str, ...]] = {
    "maria@example.com": (
        "mastodon:@jonas@chaos.social",
        "bluesky:aiko.bsky.social",
        "x:@priya_ml",
        "github:gracekim",
        "bluesky:fatima.bsky.social",
        "x:@not_here_yet",
    ),
    "jonas@example.com": ("x:@maria_dev", "github:sokafor", "mastodon:@lukas@mastodon.social"),
    "aiko@example.com": ("mastodon:@maria@fosstodon.org", "instagram:chloe.designs"),
    "priya@example.com": ("github:jbecker", "x:@aikotanaka"),
    "samuel@example.com": ("x:@maria_dev", "x:@diegoalves"),
    "grace@example.com": ("bluesky:chloe.design", "x:@priya_ml"),
    "lukas@example.com": ("github:mariadev", "mastodon:@jonas@chaos.social"),
}


def seed(session: Session, event: Event, now: datetime) -> None:
    """Give the demo attendees their follow lists (stored as keyed hashes, as for everyone)."""
    for email, follows in DEMO_FOLLOWS.items():
        attendee = people.find_by_email(session, event_id=event.id, email=email)
        if attendee is None:
            continue
        handles = [parse_handle(f.split(":", 1)[1], f.split(":", 1)[0]) for f in follows]
        service.import_follows(session, event=event, attendee=attendee, handles=handles, now=now)
