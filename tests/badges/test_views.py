"""Badge pages: the public /b/<token> card, badge openers, QR images, PDFs and revoking."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from flask import Response
from PIL import Image

from conference.badges import service
from conference.badges.service import BadgeLookup, badge_url
from conference.badges.views import (
    BADGE_OPENERS,
    BadgeViewer,
    register_badge_opener,
    unregister_badge_opener,
)
from conference.db import utcnow
from conference.people import service as people
from conference.people.models import Attendee
from tests.people.test_avatars import png_bytes

INVALID_TEXT = b"This badge is not valid (any more)"
DESK_TEXT = b"ask at the registration desk"


# --- helpers ------------------------------------------------------------------------------


def token_of(session: Any, attendee: Attendee) -> str:
    """The attendee's live badge token, issuing one if needed."""
    badge = service.ensure_badge(session, attendee=attendee, now=utcnow())
    session.commit()
    return badge.token


def url_of(app: Any, token: str) -> str:
    return badge_url(app.config["KNOWN_BASE_URL"], token)


def log_in_attendee(client: Any, session: Any, attendee: Attendee) -> None:
    """Log ``attendee`` in on ``client`` through their magic link."""
    event = attendee_event(session, attendee)
    token = people.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302


def attendee_event(session: Any, attendee: Attendee) -> Any:
    from conference.events.models import Event

    return session.get(Event, attendee.event_id)


def fetch(client: Any, path: str) -> Any:
    """GET ``path`` and read the whole body, closing the file a PDF is streamed from."""
    with client.get(path) as response:
        response.get_data()  # buffered: the body stays readable after the close
    return response


def decode_png(data: bytes) -> list[str]:
    with Image.open(io.BytesIO(data)) as image:
        return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


def pdf_pages_urls(data: bytes) -> list[list[str]]:
    """The QR texts on each page of a PDF, rasterised at 144 dpi (sorted per page)."""
    pdf = pdfium.PdfDocument(data)
    pages: list[list[str]] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            image = page.render(scale=2).to_pil().convert("L")
            pages.append(sorted(result.text for result in zxingcpp.read_barcodes(image)))
            page.close()
    finally:
        pdf.close()
    return pages


@pytest.fixture
def event(make: Any) -> Any:
    return make.event(name="PyCon Test", slug="pycon-test")


@pytest.fixture
def maria(make: Any, event: Any, session: Any) -> Attendee:
    attendee = make.attendee(
        event,
        name="Maria Fernández",
        email="maria.secret@example.com",
        company="Datawell",
        job_title="Data engineer",
        pronouns="she/her",
        handles=("x:@maria_dev", "mastodon:@maria@fosstodon.org", "linkedin:maria-f"),
        consents=people.Consents(card=True),
    )
    people.set_avatar(session, attendee=attendee, upload=png_bytes(64, 64), now=utcnow())
    session.commit()
    return attendee


@pytest.fixture
def hidden(make: Any, event: Any, session: Any) -> Attendee:
    attendee = make.attendee(
        event,
        name="Henrik Hidden",
        email="henrik.secret@example.com",
        company="Secret Corp",
        job_title="Spy",
        handles=("github:henrikh",),
        consents=people.Consents(card=False, game=True),
    )
    people.set_avatar(session, attendee=attendee, upload=png_bytes(64, 64), now=utcnow())
    session.commit()
    return attendee


# --- the public card ----------------------------------------------------------------------


def test_card_with_consent_shows_the_profile_and_handles_but_never_the_email(
    client: Any, session: Any, maria: Attendee
) -> None:
    token = token_of(session, maria)
    response = client.get(f"/b/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("Maria Fernández", "Datawell", "Data engineer", "she/her", "PyCon Test"):
        assert text in page
    assert 'href="https://x.com/maria_dev" rel="me noopener" target="_blank"' in page
    assert 'href="https://fosstodon.org/@maria"' in page
    assert 'href="https://www.linkedin.com/in/maria-f"' in page
    for label in ("X / Twitter", "Mastodon", "LinkedIn"):
        assert label in page
    assert "@maria@fosstodon.org" in page
    assert f"/b/{token}/avatar" in page
    assert "maria.secret@example.com" not in page
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert "private" in response.headers["Cache-Control"]


def test_card_without_consent_shows_only_the_event(
    client: Any, session: Any, hidden: Attendee
) -> None:
    token = token_of(session, hidden)
    response = client.get(f"/b/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "An attendee of PyCon Test" in page
    for secret in ("Henrik", "Hidden", "Secret Corp", "Spy", "henrikh", "github.com", "/avatar"):
        assert secret not in page
    assert "henrik.secret@example.com" not in page
    assert client.get(f"/b/{token}/avatar").status_code == 404


def test_user_text_is_escaped_on_the_card(client: Any, session: Any, make: Any) -> None:
    attendee = make.attendee(
        make.event(),
        name="<script>alert(1)</script>",
        company="<b>Corp</b>",
        consents=people.Consents(card=True),
    )
    page = client.get(f"/b/{token_of(session, attendee)}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<b>Corp</b>" not in page


def test_attendee_of_another_event_sees_the_public_card(
    app: Any, client: Any, session: Any, make: Any, maria: Attendee, hidden: Attendee
) -> None:
    elsewhere = make.attendee(make.event(name="Other Conf"), name="Olga Other")
    log_in_attendee(client, session, elsewhere)
    page = client.get(f"/b/{token_of(session, maria)}").get_data(as_text=True)
    assert "Maria Fernández" in page and "maria.secret@example.com" not in page
    private = client.get(f"/b/{token_of(session, hidden)}").get_data(as_text=True)
    assert "An attendee of PyCon Test" in private and "Henrik" not in private


def test_organiser_of_the_event_sees_only_what_the_attendee_consented_to(
    client: Any, session: Any, auth: Any, make: Any, event: Any, hidden: Attendee
) -> None:
    organiser = make.member(event, role="organiser")
    auth.login(organiser)
    page = client.get(f"/b/{token_of(session, hidden)}").get_data(as_text=True)
    assert "An attendee of PyCon Test" in page
    assert "Henrik" not in page and "henrik.secret@example.com" not in page


def test_anonymous_viewer_is_offered_a_login_link(
    client: Any, session: Any, maria: Attendee
) -> None:
    page = client.get(f"/b/{token_of(session, maria)}").get_data(as_text=True)
    assert "/e/pycon-test/login" in page


@pytest.mark.parametrize("kind", ["unknown", "revoked", "deleted"])
def test_unknown_or_revoked_badges_get_a_friendly_404(
    client: Any, session: Any, maria: Attendee, kind: str
) -> None:
    token = token_of(session, maria)
    if kind == "unknown":
        token = "A" * 32
    elif kind == "revoked":
        service.revoke_badge(session, attendee=maria, now=utcnow())
        session.commit()
    else:
        people.delete_profile(session, attendee=maria, now=utcnow())
        session.commit()
    response = client.get(f"/b/{token}")
    assert response.status_code == 404
    assert INVALID_TEXT in response.data and DESK_TEXT in response.data
    assert b"badges.css" in response.data  # the styled page, not a bare error
    assert b"Maria" not in response.data
    for suffix in ("qr.svg", "qr.png", "avatar"):
        assert client.get(f"/b/{token}/{suffix}").status_code == 404


def test_badge_lookups_are_rate_limited_per_ip(client: Any, session: Any, maria: Attendee) -> None:
    for _ in range(60):
        assert client.get("/b/" + "x" * 30).status_code == 404
    blocked = client.get(f"/b/{token_of(session, maria)}")
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data
    # Another address is not blocked by the first one's guessing.
    other = client.get(
        f"/b/{token_of(session, maria)}", environ_overrides={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert other.status_code == 200


# --- badge openers ------------------------------------------------------------------------


@pytest.fixture
def fake_opener() -> Iterator[list[tuple[BadgeLookup, BadgeViewer]]]:
    """A meeting-like opener: answers only for attendees of the badge's event."""
    calls: list[tuple[BadgeLookup, BadgeViewer]] = []

    def opener(lookup: BadgeLookup, viewer: BadgeViewer) -> Response | None:
        calls.append((lookup, viewer))
        if not viewer.attends(lookup.event_id) or viewer.is_owner(lookup):
            return None
        assert lookup.attendee is not None and viewer.attendee is not None
        return Response(f"met {lookup.attendee.name} as {viewer.attendee.name}", 200)

    # Alone in the registry: the features' own openers (meetings…) are tested elsewhere.
    saved = BADGE_OPENERS[:]
    BADGE_OPENERS.clear()
    register_badge_opener(opener)
    register_badge_opener(opener)  # registering twice keeps one entry
    assert BADGE_OPENERS.count(opener) == 1
    try:
        yield calls
    finally:
        unregister_badge_opener(opener)
        assert opener not in BADGE_OPENERS
        BADGE_OPENERS[:] = saved


def test_a_registered_opener_answers_for_an_attendee_of_the_same_event(
    client: Any,
    session: Any,
    make: Any,
    event: Any,
    maria: Attendee,
    fake_opener: list[tuple[BadgeLookup, BadgeViewer]],
) -> None:
    token = token_of(session, maria)
    anonymous = client.get(f"/b/{token}")
    assert anonymous.status_code == 200 and b"Maria" in anonymous.data
    assert b"met Maria" not in anonymous.data
    assert fake_opener[-1][1].is_anonymous

    log_in_attendee(client, session, make.attendee(event, name="Jonas"))
    met = client.get(f"/b/{token}")
    assert met.get_data(as_text=True) == "met Maria Fernández as Jonas"
    lookup, viewer = fake_opener[-1]
    assert lookup.status == service.OK and lookup.badge is not None
    assert lookup.badge.token == token
    assert viewer.attendee is not None and viewer.attendee.name == "Jonas"


def test_openers_are_not_asked_about_invalid_badges(
    client: Any, fake_opener: list[tuple[BadgeLookup, BadgeViewer]]
) -> None:
    assert client.get("/b/" + "n" * 30).status_code == 404
    assert fake_opener == []


def test_the_public_card_is_unchanged_once_the_opener_is_gone(
    client: Any, session: Any, make: Any, event: Any, maria: Attendee, monkeypatch: Any
) -> None:
    monkeypatch.setattr("conference.badges.views.BADGE_OPENERS", [])
    log_in_attendee(client, session, make.attendee(event, name="Jonas"))
    page = client.get(f"/b/{token_of(session, maria)}").get_data(as_text=True)
    assert "Maria Fernández" in page and "met Maria" not in page


# --- avatar and QR images -----------------------------------------------------------------


def test_avatar_is_served_with_caching_headers(client: Any, session: Any, maria: Attendee) -> None:
    token = token_of(session, maria)
    response = client.get(f"/b/{token}/avatar")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == people.avatar_of(session, maria.id).image  # type: ignore[union-attr]
    assert "max-age" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get(f"/b/{token}/avatar", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_withdrawn_consent_hides_the_avatar(client: Any, session: Any, maria: Attendee) -> None:
    token = token_of(session, maria)
    maria.consent_card = False
    session.commit()
    assert client.get(f"/b/{token}/avatar").status_code == 404


def test_qr_png_decodes_to_exactly_the_badge_url(
    app: Any, client: Any, session: Any, maria: Attendee
) -> None:
    token = token_of(session, maria)
    response = client.get(f"/b/{token}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert decode_png(response.data) == [url_of(app, token)]


def test_qr_svg_is_an_svg_image(client: Any, session: Any, maria: Attendee) -> None:
    response = client.get(f"/b/{token_of(session, maria)}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data and b"<path" in response.data


def test_my_badge_page_shows_the_qr_image(client: Any, session: Any, maria: Attendee) -> None:
    log_in_attendee(client, session, maria)
    page = client.get("/e/pycon-test/me/badge").get_data(as_text=True)
    token = service.live_badge(session, maria.id).token  # type: ignore[union-attr]
    assert f"/b/{token}/qr.svg" in page
    assert client.get(f"/b/{token}/qr.svg").status_code == 200


# --- organiser: print page and sheets -----------------------------------------------------


@pytest.fixture
def organiser(make: Any, event: Any) -> Any:
    return make.member(event, role="organiser")


@pytest.fixture
def crowd(make: Any, event: Any, maria: Attendee, hidden: Attendee) -> list[Attendee]:
    """Maria, Henrik and five more attendees of the event."""
    others = [
        make.attendee(event, name=f"Zed {n}", company="Acme" if n % 2 else "Globex")
        for n in range(5)
    ]
    return [maria, hidden, *others]


def test_print_page_counts_the_badges_to_print(
    client: Any, auth: Any, organiser: Any, crowd: list[Attendee]
) -> None:
    auth.login(organiser)
    page = client.get("/organiser/events/pycon-test/badges").get_data(as_text=True)
    assert "Print badges" in page
    for title in ("4 badges per A4 sheet", "8 badges per A4 sheet", "1 badge per A6 page"):
        assert title in page
    assert "<strong>7</strong> badges" in page
    assert "Download badges (PDF)" in page
    filtered = client.get("/organiser/events/pycon-test/badges?q=acme&layout=a4-8cards")
    text = filtered.get_data(as_text=True)
    assert "<strong>2</strong> badges" in text  # Zed 1 and Zed 3 work at Acme
    assert 'value="a4-8cards" data-per-page="8" checked' in text
    ids = f"{crowd[0].id},{crowd[2].id},{crowd[3].id}"
    selected = client.get(f"/organiser/events/pycon-test/badges?ids={ids}").get_data(as_text=True)
    assert "<strong>3</strong> badges" in selected
    assert "you selected in the attendee list" in selected


def test_print_page_explains_an_empty_selection(
    client: Any, auth: Any, organiser: Any, crowd: list[Attendee]
) -> None:
    auth.login(organiser)
    for query in ("q=nobody-has-this-name", "ids=abc", "ids=999999"):
        page = client.get(f"/organiser/events/pycon-test/badges?{query}").get_data(as_text=True)
        assert "No attendees match this selection" in page, query
        assert "Download badges (PDF)" not in page
    response = client.get("/organiser/events/pycon-test/badges.pdf?q=nobody-has-this-name")
    assert response.status_code == 302
    assert "/organiser/events/pycon-test/badges?" in response.headers["Location"]
    assert "q=nobody-has-this-name" in response.headers["Location"]
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nothing to print" in follow


def test_print_page_of_an_event_without_attendees(client: Any, auth: Any, organiser: Any) -> None:
    auth.login(organiser)
    page = client.get("/organiser/events/pycon-test/badges").get_data(as_text=True)
    assert "This event has no attendees yet" in page


def test_pdf_holds_exactly_the_filtered_attendees_badges(
    app: Any, client: Any, session: Any, auth: Any, organiser: Any, crowd: list[Attendee]
) -> None:
    auth.login(organiser)
    response = fetch(client, "/organiser/events/pycon-test/badges.pdf?q=acme&layout=a4-4xa6")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "badges-pycon-test-a4-4xa6.pdf" in response.headers["Content-Disposition"]
    assert int(response.headers["Content-Length"]) == len(response.data)
    acme = [a for a in crowd if a.company == "Acme"]
    expected = sorted(url_of(app, service.live_badge(session, a.id).token) for a in acme)  # type: ignore[union-attr]
    assert [url for page in pdf_pages_urls(response.data) for url in page] == expected
    # Nobody else got a badge issued.
    assert service.live_badge(session, crowd[0].id) is None


def test_pdf_of_selected_ids_spans_pages_and_keeps_printed_tokens(
    app: Any, client: Any, session: Any, auth: Any, organiser: Any, crowd: list[Attendee]
) -> None:
    auth.login(organiser)
    already = token_of(session, crowd[1])  # printed before: the new sheet must reuse it
    chosen = crowd[:6]
    ids = ",".join(str(a.id) for a in chosen)
    response = fetch(client, f"/organiser/events/pycon-test/badges.pdf?ids={ids}")
    assert response.status_code == 200
    pages = pdf_pages_urls(response.data)
    assert len(pages) == 2 and len(pages[0]) == 4 and len(pages[1]) == 2  # 4 A6 per A4
    tokens = {a.id: service.live_badge(session, a.id).token for a in chosen}  # type: ignore[union-attr]
    assert tokens[crowd[1].id] == already
    assert sorted(u for page in pages for u in page) == sorted(
        url_of(app, t) for t in tokens.values()
    )
    assert service.live_badge(session, crowd[6].id) is None


def test_pdf_on_the_business_card_layout_fits_eight_per_page(
    client: Any, auth: Any, organiser: Any, crowd: list[Attendee]
) -> None:
    auth.login(organiser)
    response = fetch(client, "/organiser/events/pycon-test/badges.pdf?layout=a4-8cards")
    assert response.status_code == 200
    assert "badges-pycon-test-a4-8cards.pdf" in response.headers["Content-Disposition"]
    pages = pdf_pages_urls(response.data)
    assert [len(page) for page in pages] == [7]


@pytest.mark.parametrize(
    "path",
    [
        "/organiser/events/pycon-test/badges",
        "/organiser/events/pycon-test/badges.pdf",
    ],
)
def test_only_the_events_organisers_print_sheets(
    client: Any, session: Any, auth: Any, make: Any, event: Any, crowd: list[Attendee], path: str
) -> None:
    assert client.get(path).status_code == 302  # anonymous: to the login page
    assert "/login" in client.get(path).headers["Location"]
    staff = make.member(event, role="staff")
    auth.login(staff)
    assert client.get(path).status_code == 403
    auth.logout()
    other = make.account()
    make.event(organiser=other)
    auth.login(other)
    assert client.get(path).status_code == 403
    auth.logout()
    log_in_attendee(client, session, crowd[0])
    assert client.get(path).status_code == 403


def test_desk_badge_is_one_a6_page_for_organisers_and_staff(
    app: Any, client: Any, session: Any, auth: Any, make: Any, event: Any, maria: Attendee
) -> None:
    path = f"/organiser/events/pycon-test/attendees/{maria.id}/badge.pdf"
    assert client.get(path).status_code == 302
    auth.login(make.member(event, role="staff"))
    response = fetch(client, path)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    token = service.live_badge(session, maria.id).token  # type: ignore[union-attr]
    assert pdf_pages_urls(response.data) == [[url_of(app, token)]]


def test_desk_badge_of_another_events_attendee_is_404(
    client: Any, session: Any, auth: Any, make: Any, organiser: Any, maria: Attendee
) -> None:
    stranger = make.attendee(make.event(), name="Stranger")
    auth.login(organiser)
    assert (
        client.get(f"/organiser/events/pycon-test/attendees/{stranger.id}/badge.pdf").status_code
        == 404
    )
    assert client.get("/organiser/events/pycon-test/attendees/999999/badge.pdf").status_code == 404
    assert service.live_badge(session, stranger.id) is None
    # The stranger's own organiser cannot use this event's URL either, nor theirs without a role.
    other_organiser = make.account()
    auth.logout()
    auth.login(other_organiser)
    assert (
        client.get(f"/organiser/events/pycon-test/attendees/{maria.id}/badge.pdf").status_code
        == 403
    )


# --- revoking -----------------------------------------------------------------------------


def test_revoking_a_badge_kills_the_old_qr_and_issues_a_new_one(
    client: Any, session: Any, auth: Any, organiser: Any, maria: Attendee
) -> None:
    old = token_of(session, maria)
    auth.login(organiser)
    response = client.post(f"/organiser/events/pycon-test/attendees/{maria.id}/revoke-badge")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/events/pycon-test/badges?")
    assert f"ids={maria.id}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Badge revoked: the old QR code no longer works. Print the new badge." in page
    new = service.live_badge(session, maria.id)
    assert new is not None and new.token != old
    assert client.get(f"/b/{old}").status_code == 404
    assert client.get(f"/b/{new.token}").status_code == 200


def test_revoke_redirects_to_a_local_next_only(
    client: Any, session: Any, auth: Any, organiser: Any, maria: Attendee
) -> None:
    auth.login(organiser)
    url = f"/organiser/events/pycon-test/attendees/{maria.id}/revoke-badge"
    local = client.post(url, data={"next": "/organiser/events/pycon-test/attendees?q=maria"})
    assert local.headers["Location"] == "/organiser/events/pycon-test/attendees?q=maria"
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(url, data={"next": evil})
        assert response.headers["Location"].startswith("/organiser/events/pycon-test/badges")


def test_only_organisers_revoke_badges(
    client: Any, session: Any, auth: Any, make: Any, event: Any, maria: Attendee
) -> None:
    token = token_of(session, maria)
    url = f"/organiser/events/pycon-test/attendees/{maria.id}/revoke-badge"
    assert client.post(url).status_code == 302  # to the login page
    auth.login(make.member(event, role="staff"))
    assert client.post(url).status_code == 403
    auth.logout()
    other = make.account()
    make.event(organiser=other)
    auth.login(other)
    assert client.post(url).status_code == 403
    assert client.get(f"/b/{token}").status_code == 200


def test_revoking_another_events_attendee_is_404(
    client: Any, auth: Any, make: Any, organiser: Any
) -> None:
    stranger = make.attendee(make.event())
    auth.login(organiser)
    url = f"/organiser/events/pycon-test/attendees/{stranger.id}/revoke-badge"
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_revoking_needs_the_csrf_token(
    client: Any, session: Any, make: Any, event: Any, maria: Attendee
) -> None:
    organiser = make.member(event, role="organiser")
    login_page = client.get("/login").get_data(as_text=True)
    csrf = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"email": organiser.email, "password": "correct horse battery", "csrf_token": csrf},
    )
    token = token_of(session, maria)
    url = f"/organiser/events/pycon-test/attendees/{maria.id}/revoke-badge"
    assert client.post(url).status_code == 400
    assert client.get(f"/b/{token}").status_code == 200
    page = client.get("/organiser/events/pycon-test/badges").get_data(as_text=True)
    form_token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(url, data={"csrf_token": form_token}).status_code == 302
    assert client.get(f"/b/{token}").status_code == 404
