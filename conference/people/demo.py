"""Demo attendees for the demo event: people with handles, most of whom consented to play."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from conference.events.models import Event
from conference.people import service
from conference.people.handles import parse_handle

# (name, e-mail, company, job title, bio, handles, consents card/game/leaderboard)
DEMO_PEOPLE: list[tuple[str, str, str, str, str, tuple[str, ...], tuple[bool, bool, bool]]] = [
    (
        "Maria Fernández",
        "maria@example.com",
        "Datawell",
        "Data engineer",
        "Streams all the things. Ask me about Kafka and sourdough.",
        ("x:@maria_dev", "mastodon:@maria@fosstodon.org", "github:mariadev"),
        (True, True, True),
    ),
    (
        "Jonas Becker",
        "jonas@example.com",
        "Kiel Robotics",
        "Firmware lead",
        "Rust on microcontrollers, bikes on weekends.",
        ("mastodon:@jonas@chaos.social", "github:jbecker"),
        (True, True, True),
    ),
    (
        "Aiko Tanaka",
        "aiko@example.com",
        "Sakura Labs",
        "Developer advocate",
        "Speaker, tea nerd, maintainer of a tiny CSS library.",
        ("bluesky:aiko.bsky.social", "x:@aikotanaka"),
        (True, True, True),
    ),
    (
        "Samuel Okafor",
        "samuel@example.com",
        "Lagos Cloud",
        "SRE",
        "On call for the internet. Loves a good postmortem.",
        ("linkedin:samuel-okafor", "github:sokafor"),
        (True, True, False),
    ),
    (
        "Chloé Martin",
        "chloe@example.com",
        "Studio Pixel",
        "Product designer",
        "Design systems and accessible colour palettes.",
        ("instagram:chloe.designs", "bluesky:chloe.design"),
        (True, True, True),
    ),
    (
        "Priya Raman",
        "priya@example.com",
        "OpenMed",
        "ML engineer",
        "Teaching models to read X-rays; teaching myself to climb.",
        ("x:@priya_ml", "linkedin:priya-raman"),
        (True, True, True),
    ),
    (
        "Lukas Nowak",
        "lukas@example.com",
        "Warsaw Data",
        "Backend developer",
        "PostgreSQL fan. Has opinions about indexes.",
        ("mastodon:@lukas@mastodon.social",),
        (True, False, True),
    ),
    (
        "Grace Kim",
        "grace@example.com",
        "Seoul Apps",
        "iOS developer",
        "SwiftUI by day, board games by night.",
        ("threads:@gracekim", "github:gracekim"),
        (True, True, True),
    ),
    (
        "Diego Alves",
        "diego@example.com",
        "Rio Fintech",
        "CTO",
        "Building payments for the next billion.",
        ("x:@diegoalves", "website:https://diego.example.com"),
        (True, True, False),
    ),
    (
        "Fatima Zahra",
        "fatima@example.com",
        "Casablanca AI",
        "Researcher",
        "NLP for low-resource languages.",
        ("bluesky:fatima.bsky.social",),
        (False, False, False),
    ),
]


def seed(session: Session, event: Event, now: datetime) -> None:
    """Create the demo attendees once (matched by e-mail, so running twice adds nothing)."""
    for name, email, company, title, bio, handles, (card, game, board) in DEMO_PEOPLE:
        if service.find_by_email(session, event_id=event.id, email=email) is not None:
            continue
        service.create_attendee(
            session,
            event=event,
            profile=service.Profile(
                name=name, email=email, company=company, job_title=title, bio=bio
            ),
            handles=[parse_handle(h.split(":", 1)[1], h.split(":", 1)[0]) for h in handles],
            consents=service.Consents(card=card, game=game, leaderboard=board),
            source="demo",
        )
