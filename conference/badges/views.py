"""Badge pages: the public /b/<token> card, QR images and printable badge PDFs.

Who sees what when a badge QR code is opened
--------------------------------------------
``badge_page`` is the one place that decides. It resolves the token (an unknown or revoked
token gets a friendly 404 page), then asks each *badge opener* in ``BADGE_OPENERS``, in order,
whether it answers for this viewer; the first one to return a response wins. When none does,
everyone (anonymous, an attendee of another event, an organiser) sees the public card, which
shows only what the attendee consented to (``Attendee.consent_card``).

Later features plug in without touching that branching, for example in their ``init_app``::

    from conference.badges.views import BadgeViewer, register_badge_opener

    def record_meeting(lookup: BadgeLookup, viewer: BadgeViewer) -> ResponseReturnValue | None:
        if not viewer.attends(lookup.event_id) or viewer.is_owner(lookup):
            return None  # not mine to answer: the next opener or the public card does
        ...  # call one service, commit, render the "how you know each other" card
        return render_template(...)

    register_badge_opener(record_meeting)

The network feature registers the meeting opener (an attendee of the same event); check-in
registers the staff opener (a team member on the check-in screen). Openers are only asked
about valid badges (``lookup.status == "ok"``, with ``badge`` and ``attendee`` set), they run
inside the request (after the per-IP rate limit), and they must return None for any viewer
they do not handle.

Printing: organisers print sheets of badges for any selection of the attendee list
(``/organiser/events/<slug>/badges``); organisers *and* check-in staff may print one A6 badge
at the desk, because handing a reprinted badge to someone at the door is staff's job. Only
organisers revoke a badge.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from conference.accounts.views import safe_next
from conference.badges import rendering
from conference.badges.service import (
    OK,
    BadgeLookup,
    badge_url,
    ensure_badges,
    resolve,
    revoke_badge,
)
from conference.db import utcnow
from conference.events.access import current_account_id, require_organiser, require_team
from conference.events.models import Event
from conference.extensions import db, limiter
from conference.people import service as people
from conference.people.models import Attendee, AttendeeHandle

bp = Blueprint("badges", __name__)

# Per client IP. A badge page costs one lookup; its avatar and QR images are cheap to serve
# but each also takes the token, so they have their own, looser limits.
PAGE_LIMIT = "60 per minute"
IMAGE_LIMIT = "120 per minute"

# Badges are rendered to memory and only spill to disk for very large events.
PDF_SPOOL_BYTES = 8 * 1024 * 1024
# ensure_badges runs per batch, so a 5,000-person sheet is a dozen queries, not 5,000.
CARD_BATCH = 500
MAX_SELECTED_IDS = 10_000


# --- who opens a badge --------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeViewer:
    """Who opened a badge URL: a logged-in attendee, an organiser/staff account, or nobody."""

    attendee: Attendee | None = None
    account_id: int | None = None

    @property
    def is_anonymous(self) -> bool:
        """Nobody is logged in."""
        return self.attendee is None and self.account_id is None

    def attends(self, event_id: int | None) -> bool:
        """The viewer is a logged-in attendee of ``event_id``."""
        return self.attendee is not None and self.attendee.event_id == event_id

    def is_owner(self, lookup: BadgeLookup) -> bool:
        """The viewer opened their own badge."""
        return (
            self.attendee is not None
            and lookup.attendee is not None
            and self.attendee.id == lookup.attendee.id
        )


BadgeOpener = Callable[[BadgeLookup, BadgeViewer], ResponseReturnValue | None]
BADGE_OPENERS: list[BadgeOpener] = []


def register_badge_opener(opener: BadgeOpener) -> BadgeOpener:
    """Ask ``opener`` (after those registered before it) before showing the public card."""
    if opener not in BADGE_OPENERS:
        BADGE_OPENERS.append(opener)
    return opener


def unregister_badge_opener(opener: BadgeOpener) -> None:
    """Stop asking ``opener``."""
    if opener in BADGE_OPENERS:
        BADGE_OPENERS.remove(opener)


def current_viewer() -> BadgeViewer:
    """The viewer of this request."""
    if current_user.is_authenticated and getattr(current_user, "is_attendee", False):
        return BadgeViewer(attendee=current_user._get_current_object())
    return BadgeViewer(account_id=current_account_id())


# --- what a printed badge shows -----------------------------------------------------------


def badge_handle(handle: AttendeeHandle | None) -> str:
    """The primary handle as printed on a badge: short enough to read from across a room.

    ``@name`` for X, GitHub, Instagram, Threads and Bluesky, ``@user@host`` for Mastodon,
    ``linkedin.com/in/slug`` for LinkedIn and the bare host for a website.
    """
    if handle is None:
        return ""
    if handle.platform == "linkedin":
        return f"linkedin.com/in/{handle.handle}"
    if handle.platform == "website":
        return handle.handle.split("/", 1)[0]
    # Canonical Mastodon handles are "user@host", so this also gives "@user@host".
    return f"@{handle.handle}"


def _batches(items: Iterable[Attendee], size: int) -> Iterator[list[Attendee]]:
    batch: list[Attendee] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def badge_cards(
    session: Session, *, event: Event, attendees: Iterable[Attendee], base_url: str, now: datetime
) -> Iterator[rendering.BadgeCard]:
    """Printable cards for ``attendees``, issuing missing badge tokens batch by batch (lazily)."""
    for batch in _batches(attendees, CARD_BATCH):
        badges = ensure_badges(session, attendees=batch, now=now)
        for attendee in batch:
            badge = badges.get(attendee.id)
            if badge is None:  # deleted profiles get no badge
                continue
            yield rendering.BadgeCard(
                name=attendee.name,
                company=attendee.company,
                handle=badge_handle(attendee.primary_handle),
                url=badge_url(base_url, badge.token),
                event_name=event.name,
            )


# --- the public badge page ----------------------------------------------------------------


def _invalid_badge() -> Response:
    response = make_response(render_template("badges/invalid.html"), 404)
    response.headers["Cache-Control"] = "no-store"
    return response


def _lookup(token: str) -> BadgeLookup:
    """The valid badge behind ``token``; aborts with a 404 otherwise."""
    lookup = resolve(db.session(), token)
    if lookup.status != OK or lookup.attendee is None:
        abort(404)
    return lookup


@bp.get("/b/<token>")
@limiter.limit(PAGE_LIMIT)
def badge_page(token: str) -> ResponseReturnValue:
    """What a badge QR opens: a registered opener's answer, else the public card."""
    lookup = resolve(db.session(), token)
    if lookup.status != OK or lookup.attendee is None:
        return _invalid_badge()
    viewer = current_viewer()
    for opener in list(BADGE_OPENERS):
        answer = opener(lookup, viewer)
        if answer is not None:
            return answer
    return _public_card(lookup, viewer)


def _public_card(lookup: BadgeLookup, viewer: BadgeViewer) -> Response:
    attendee = lookup.attendee
    assert attendee is not None
    event = db.session.get(Event, attendee.event_id)
    assert event is not None
    avatar_version = None
    if attendee.consent_card:
        avatar_version = people.avatar_versions(db.session(), [attendee.id]).get(attendee.id)
    response = make_response(
        render_template(
            "badges/card.html",
            event=event,
            attendee=attendee,
            token=lookup.badge.token if lookup.badge else "",
            show_card=attendee.consent_card,
            avatar_version=avatar_version,
            viewer=viewer,
            is_owner=viewer.is_owner(lookup),
        )
    )
    # The page depends on who is looking and on consents that can change at any moment.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/b/<token>/avatar")
@limiter.limit(IMAGE_LIMIT)
def avatar(token: str) -> BaseResponse:
    """The badge owner's picture, only while they consent to show their card."""
    lookup = _lookup(token)
    assert lookup.attendee is not None
    if not lookup.attendee.consent_card:
        abort(404)
    picture = people.avatar_of(db.session(), lookup.attendee.id)
    if picture is None:
        abort(404)
    response = Response(picture.image, mimetype=picture.content_type)
    response.set_etag(hashlib.sha256(picture.image).hexdigest()[:32])
    # Private and short: a withdrawn consent must take effect within minutes, even in caches.
    response.headers["Cache-Control"] = "private, max-age=300"
    return response.make_conditional(request)


def _qr_response(body: str | bytes, mimetype: str, token: str) -> BaseResponse:
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(token.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, max-age=300"
    return response.make_conditional(request)


@bp.get("/b/<token>/qr.svg")
@limiter.limit(IMAGE_LIMIT)
def qr_svg(token: str) -> BaseResponse:
    """The badge QR code as SVG (it encodes the badge URL)."""
    _lookup(token)
    url = badge_url(current_app.config["KNOWN_BASE_URL"], token)
    return _qr_response(rendering.qr_svg(url), "image/svg+xml", token)


@bp.get("/b/<token>/qr.png")
@limiter.limit(IMAGE_LIMIT)
def qr_png(token: str) -> BaseResponse:
    """The badge QR code as PNG (it encodes the badge URL)."""
    _lookup(token)
    url = badge_url(current_app.config["KNOWN_BASE_URL"], token)
    return _qr_response(rendering.qr_png(url), "image/png", token)


# --- printing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutChoice:
    """A badge layout as the print page offers it."""

    key: str
    title: str
    hint: str
    per_page: int


_LAYOUT_TEXT: dict[str, tuple[str, str, int]] = {
    "a4-4xa6": (
        "4 badges per A4 sheet",
        "A6 (105 × 148 mm), for lanyard pouches. Cut along the marks.",  # noqa: RUF001
        4,
    ),
    "a4-8cards": (
        "8 badges per A4 sheet",
        "Business-card size (85 × 55 mm), for clip holders. Cut along the marks.",  # noqa: RUF001
        8,
    ),
    "a6": ("1 badge per A6 page", "For a desk badge printer or A6 card stock: no cutting.", 1),
}
DEFAULT_LAYOUT = "a4-4xa6"


def layout_choices() -> list[LayoutChoice]:
    """Every layout the renderer offers, with a title and a hint for people."""
    choices = []
    for key, description in rendering.LAYOUTS.items():
        title, hint, per_page = _LAYOUT_TEXT.get(key, (description, "", 1))
        choices.append(LayoutChoice(key, title, hint, per_page))
    return choices


@dataclass(frozen=True)
class BadgeSelection:
    """Which attendees to print, on which layout: read from the query string."""

    layout: str = DEFAULT_LAYOUT
    q: str = ""
    consent: str = ""
    has_handles: str = ""
    ids: tuple[int, ...] = field(default_factory=tuple)
    # ``ids=`` was given but held no valid id: that selects nobody, never everybody.
    bad_ids: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> BadgeSelection:
        """Parse ``layout``, ``q``, ``consent``, ``has_handles`` and ``ids=1,2,3``."""
        layout = args.get("layout", "")
        consent = args.get("consent", "")
        has_handles = args.get("has_handles", "")
        raw_ids = args.get("ids", "").strip()
        ids = tuple(
            dict.fromkeys(
                int(part)
                for part in raw_ids.split(",")[:MAX_SELECTED_IDS]
                if part.strip().isdigit()
            )
        )
        return cls(
            layout=layout if layout in rendering.LAYOUTS else DEFAULT_LAYOUT,
            q=args.get("q", "").strip()[:200],
            consent=consent if consent in ("card", "game", "leaderboard", "none") else "",
            has_handles=has_handles if has_handles in ("yes", "no") else "",
            ids=ids,
            bad_ids=bool(raw_ids) and not ids,
        )

    @property
    def filter(self) -> people.AttendeeFilter:
        """The attendee-list filter for this selection."""
        # 0 is never an id: a filter that matches nobody when every given id was invalid.
        ids = (0,) if self.bad_ids else self.ids
        return people.AttendeeFilter(
            q=self.q, consent=self.consent, has_handles=self.has_handles, ids=ids
        )

    @property
    def filtered(self) -> bool:
        """Anything narrows the selection down from "everyone"."""
        return bool(self.q or self.consent or self.has_handles or self.ids or self.bad_ids)

    def query(self, **changes: str) -> dict[str, Any]:
        """The selection as query-string arguments (empty ones left out)."""
        args = {
            "layout": self.layout,
            "q": self.q,
            "consent": self.consent,
            "has_handles": self.has_handles,
            "ids": ",".join(map(str, self.ids)),
        }
        args.update(changes)
        return {key: value for key, value in args.items() if value}


def _send_pdf(
    event: Event, attendees: Iterable[Attendee], *, layout: str, download_name: str, attach: bool
) -> Response:
    """Render the badges of ``attendees``, commit their new tokens, and send the PDF."""
    cards = badge_cards(
        db.session(),
        event=event,
        attendees=attendees,
        base_url=current_app.config["KNOWN_BASE_URL"],
        now=utcnow(),
    )
    out = tempfile.SpooledTemporaryFile(max_size=PDF_SPOOL_BYTES)  # noqa: SIM115 (send_file closes it)
    try:
        rendering.render_badges_pdf(cards, cast(BinaryIO, out), layout=layout)
        # Tokens issued while rendering are printed in this PDF: they must outlive the request.
        db.session.commit()
    except BaseException:
        out.close()
        raise
    size = out.tell()
    out.seek(0)
    response = send_file(
        out, mimetype="application/pdf", download_name=download_name, as_attachment=attach
    )
    response.content_length = size
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/organiser/events/<slug>/badges")
def print_badges(slug: str) -> str:
    """Print badges: choose a layout and who, see how many, download the PDF."""
    event = require_organiser(slug)
    selection = BadgeSelection.from_args(request.args)
    preview, total = people.search_attendees(
        db.session(), event_id=event.id, flt=selection.filter, limit=10
    )
    layouts = layout_choices()
    per_page = next((c.per_page for c in layouts if c.key == selection.layout), 1)
    return render_template(
        "badges/print.html",
        event=event,
        selection=selection,
        layouts=layouts,
        preview=preview,
        total=total,
        everyone=people.count_attendees(db.session(), event_id=event.id),
        pages=math.ceil(total / per_page),
        badge_handle=badge_handle,
    )


@bp.get("/organiser/events/<slug>/badges.pdf")
def sheet_pdf(slug: str) -> Any:
    """The selected attendees' badges as one PDF, issuing badge tokens where missing."""
    event = require_organiser(slug)
    selection = BadgeSelection.from_args(request.args)
    _, total = people.search_attendees(
        db.session(), event_id=event.id, flt=selection.filter, limit=0
    )
    if not total:
        flash("No attendees match this selection, so there is nothing to print.", "error")
        return redirect(url_for("badges.print_badges", slug=slug, **selection.query()))
    attendees = people.iter_attendees(db.session(), event_id=event.id, flt=selection.filter)
    return _send_pdf(
        event,
        attendees,
        layout=selection.layout,
        download_name=f"badges-{event.slug}-{selection.layout}.pdf",
        attach=True,
    )


@bp.get("/organiser/events/<slug>/attendees/<int:attendee_id>/badge.pdf")
def desk_badge(slug: str, attendee_id: int) -> Response:
    """One A6 badge for the registration desk (organisers and check-in staff)."""
    event = require_team(slug)
    attendee = people.get_attendee(db.session(), event_id=event.id, attendee_id=attendee_id)
    # Inline: the desk's browser opens it in its PDF viewer, one click from printing.
    return _send_pdf(
        event,
        [attendee],
        layout="a6",
        download_name=f"badge-{event.slug}-{attendee.id}.pdf",
        attach=False,
    )


@bp.post("/organiser/events/<slug>/attendees/<int:attendee_id>/revoke-badge")
def revoke(slug: str, attendee_id: int) -> Any:
    """Revoke a lost badge: the old QR stops working and a new badge is issued."""
    event = require_organiser(slug)
    attendee = people.get_attendee(db.session(), event_id=event.id, attendee_id=attendee_id)
    revoke_badge(db.session(), attendee=attendee, now=utcnow())
    db.session.commit()
    flash("Badge revoked: the old QR code no longer works. Print the new badge.", "success")
    fallback = url_for("badges.print_badges", slug=slug, ids=str(attendee.id), layout="a6")
    return redirect(safe_next(request.form.get("next"), fallback))
