"""Network pages: following, the badge opener's meeting card, my people, downloads, access."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from conference.events.models import Event
from conference.network import service
from conference.network.models import FollowHash, Meeting
from conference.people import service as people
from conference.people.models import Attendee
from tests.network.conftest import (
    LINKEDIN_MATCHES,
    MASTODON_MATCHES,
    NOW,
    badge_token,
    log_in,
    sample,
)
from tests.people.test_avatars import png_bytes

FOLLOWING = "/e/pycon-test/me/following"
PEOPLE = "/e/pycon-test/me/people"


@pytest.fixture
def maria(make: Any, event: Event) -> Attendee:
    return make.attendee(
        event,
        name="Maria Fernández",
        company="Datawell",
        handles=("x:@maria_dev", "mastodon:@maria@fosstodon.org"),
        consents=people.Consents(card=True, leaderboard=True),
    )


@pytest.fixture
def jonas(make: Any, event: Event, session: Any) -> Attendee:
    attendee = make.attendee(
        event,
        name="Jonas Becker",
        company="Kiel Robotics",
        job_title="Firmware lead",
        handles=("mastodon:@jonas@chaos.social", "github:jbecker"),
        consents=people.Consents(card=True, leaderboard=True),
    )
    people.set_avatar(session, attendee=attendee, upload=png_bytes(64, 64), now=NOW)
    session.commit()
    return attendee


def paste(client: Any, text: str, default: str = "") -> Any:
    return client.post(FOLLOWING, data={"handles": text, "default_platform": default})


def upload(client: Any, data: bytes, filename: str) -> Any:
    return client.post(
        FOLLOWING,
        data={"handles": "", "default_platform": "", "upload": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def visible(html: str) -> str:
    """The page's text without tags, spaces collapsed (for phrases split across elements)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        FOLLOWING,
        PEOPLE,
        f"{PEOPLE}.vcf",
        f"{PEOPLE}.csv",
    ],
)
def test_pages_need_an_attendee_of_this_event(
    client: Any, session: Any, make: Any, event: Event, auth: Any, path: str
) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/e/pycon-test/login" in anonymous.headers["Location"]
    log_in(client, session, make.attendee(make.event(), name="Olga Other"))
    other_event = client.get(path)
    assert other_event.status_code == 302
    assert "/e/pycon-test/login" in other_event.headers["Location"]
    client.post("/logout")
    auth.login(make.member(event, role="organiser"))
    assert client.get(path).status_code == 302


def test_another_events_attendee_cannot_open_my_people_cards_or_avatars(
    client: Any, session: Any, make: Any, event: Event, maria: Attendee, jonas: Attendee
) -> None:
    service.record_meeting(session, attendee=maria, met=jonas, now=NOW)
    session.commit()
    other_event = make.event(slug="other-conf")
    log_in(client, session, make.attendee(other_event, name="Olga Other"))
    assert client.get(f"/e/other-conf/me/people/{jonas.id}").status_code == 404
    assert client.get(f"/e/other-conf/me/people/{jonas.id}/avatar").status_code == 404
    assert (
        client.post(f"/e/other-conf/me/people/{jonas.id}/note", data={"note": "x"}).status_code
        == 404
    )


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_state_changes_need_the_csrf_token(
    client: Any, session: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    assert paste(client, "https://x.com/a").status_code == 400
    assert client.post(f"{FOLLOWING}/clear").status_code == 400
    assert client.post(f"{PEOPLE}/{jonas.id}/add").status_code == 400
    page = text_of(client.get(FOLLOWING))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    ok = client.post(FOLLOWING, data={"handles": "https://x.com/a", "csrf_token": token[1]})
    assert ok.status_code == 200
    assert service.follow_count(session, attendee_id=maria.id) == 1


# --- who I know online ------------------------------------------------------------------------


def test_pasting_reports_bad_lines_and_keeps_them_in_the_box(
    client: Any, session: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    response = paste(client, "@jonas@chaos.social\n@who_knows\nhttps://x.com/a, https://x.com/A/")
    assert response.status_code == 200
    page = text_of(response)
    words = visible(page)
    assert "Added 2 accounts" in words
    assert "1 duplicate counted once" in words
    assert "1 line we could not read" in words
    assert "Line 2" in page and "@who_knows" in page and "Which platform is that handle on?" in page
    assert re.search(r"<textarea[^>]*>\s*@who_knows</textarea>", page)
    # Jonas is listed with the handle Maria follows.
    assert "Jonas Becker" in page and "@jonas@chaos.social" in page
    assert "1 person you follow is here" in words
    assert session.scalar(sa.select(sa.func.count(FollowHash.id))) == 2


def test_bare_names_are_read_as_the_chosen_platform(
    client: Any, session: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    page = text_of(paste(client, "jbecker\n@someone", default="github"))
    assert "Added 2 accounts" in visible(page)
    assert "Jonas Becker" in page and "github.com/jbecker" in page


@pytest.mark.parametrize(
    ("filename", "matches", "label"),
    [
        ("mastodon_following_accounts.csv", MASTODON_MATCHES, "your Mastodon follows"),
        ("linkedin_Connections.csv", LINKEDIN_MATCHES, "your LinkedIn connections"),
    ],
)
def test_uploading_an_export_lists_the_people_who_are_here(
    client: Any,
    session: Any,
    crowd: dict[str, Attendee],
    maria: Attendee,
    filename: str,
    matches: set[str],
    label: str,
) -> None:
    log_in(client, session, maria)
    response = upload(client, sample(filename), filename)
    assert response.status_code == 200
    page = text_of(response)
    assert "Added 20 accounts" in visible(page) and label in page
    known = page.split('id="known"')[1].split('id="add-title"')[0]
    listed = {name for name in crowd if name.replace("'", "&#39;") in known}
    assert listed == matches
    assert "8 people you follow are here" in visible(page)


def test_an_unreadable_upload_is_explained_and_nothing_is_stored(
    client: Any, session: Any, maria: Attendee
) -> None:
    log_in(client, session, maria)
    response = upload(client, b"name,email\nAna,ana@example.com\n", "attendees.csv")
    assert response.status_code == 422
    assert "We do not recognise this file" in text_of(response)
    empty = paste(client, "   ")
    assert empty.status_code == 422
    assert "Paste some handles or choose a file" in text_of(empty)
    assert service.follow_count(session, attendee_id=maria.id) == 0


def test_the_list_can_be_cleared(client: Any, session: Any, maria: Attendee) -> None:
    log_in(client, session, maria)
    paste(client, "https://x.com/a\nhttps://x.com/b")
    response = client.post(f"{FOLLOWING}/clear", follow_redirects=True)
    assert "2 accounts forgotten" in text_of(response)
    assert service.follow_count(session, attendee_id=maria.id) == 0
    assert "Clear my list" not in text_of(client.get(FOLLOWING))


def test_the_known_list_marks_people_met(
    client: Any, session: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    paste(client, "@jonas@chaos.social")
    assert "met ✓" not in text_of(client.get(FOLLOWING))
    client.get(f"/b/{badge_token(session, jonas)}")
    page = text_of(client.get(FOLLOWING))
    assert "met ✓" in page and f"/e/pycon-test/me/people/{jonas.id}" in page


def test_home_shows_who_i_follow_is_here_and_who_follows_me(
    client: Any, session: Any, make: Any, event: Event, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    first = visible(text_of(client.get("/e/pycon-test/me")))
    assert "Who here do you already know?" in first
    assert "Nobody here follows you online yet" in first
    fans = [make.attendee(event, name=f"Fan {n}") for n in range(2)]
    for fan in fans:
        service.import_follows(
            session,
            event=event,
            attendee=fan,
            handles=[people_handle("x:maria_dev")],
            now=NOW,
        )
    service.import_follows(
        session, event=event, attendee=maria, handles=[people_handle("github:jbecker")], now=NOW
    )
    session.commit()
    home = visible(text_of(client.get("/e/pycon-test/me")))
    assert "1 person you follow is here" in home
    assert "Jonas — go find them!" in home
    assert "2 people here follow you online" in home
    assert "Fan" not in home  # who follows you is told only after meeting


def people_handle(key: str) -> Any:
    from conference.people.handles import parse_handle

    platform, text = key.split(":", 1)
    return parse_handle(text, platform)


def test_a_private_card_hides_the_follower_count_and_says_why(
    client: Any, session: Any, make: Any, event: Event
) -> None:
    shy = make.attendee(event, name="Shy", handles=("x:@shy_one",))
    fan = make.attendee(event, name="Fan")
    service.import_follows(
        session, event=event, attendee=fan, handles=[people_handle("x:shy_one")], now=NOW
    )
    session.commit()
    log_in(client, session, shy)
    home = visible(text_of(client.get("/e/pycon-test/me")))
    assert "Your card is private, so people who follow you online cannot find you here" in home
    assert "1 person here follows you" not in home


# --- the badge opener and the meeting card ----------------------------------------------------


def test_opening_a_badge_records_the_meeting_and_shows_the_card(
    client: Any, session: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    token = badge_token(session, jonas)
    response = client.get(f"/b/{token}")
    assert response.status_code == 200
    page = text_of(response)
    words = visible(page)
    assert "You met Jonas Becker!" in words
    assert "+10" in words
    assert "Firmware lead" in page and "Kiel Robotics" in page
    assert (
        'href="https://chaos.social/@jonas"' in page and 'href="https://github.com/jbecker"' in page
    )
    assert f"/e/pycon-test/me/people/{jonas.id}/avatar" in page
    assert "Your note about Jonas" in page
    assert "private" in response.headers["Cache-Control"]
    assert session.scalar(sa.select(sa.func.count(Meeting.id))) == 1

    again = visible(text_of(client.get(f"/b/{token}")))
    met_at = session.scalar(sa.select(Meeting.created_at)).astimezone(ZoneInfo("Europe/Berlin"))
    assert f"You met Jonas Becker at {met_at:%H:%M}" in again  # in the event's time zone
    assert "this scan adds nothing new" in again and "+10" not in again
    assert session.scalar(sa.select(sa.func.count(Meeting.id))) == 1


def test_a_mutual_follow_is_recognised_on_the_card(
    client: Any, session: Any, event: Event, maria: Attendee, jonas: Attendee
) -> None:
    service.import_follows(
        session, event=event, attendee=jonas, handles=[people_handle("x:maria_dev")], now=NOW
    )
    session.commit()
    log_in(client, session, maria)
    paste(client, "https://github.com/jbecker")
    page = text_of(client.get(f"/b/{badge_token(session, jonas)}"))
    words = visible(page)
    assert "You recognised +250 github.com/jbecker!" in words
    assert "+250" in words
    assert "You follow each other" in words
    assert "You follow github.com/jbecker on GitHub" in words
    assert "They follow your @maria_dev on X / Twitter" in words
    assert "data-confetti" in page and "js/network.js" in page


def test_scanning_my_own_or_another_events_badge_records_nothing(
    client: Any, session: Any, make: Any, maria: Attendee
) -> None:
    log_in(client, session, maria)
    own = text_of(client.get(f"/b/{badge_token(session, maria)}"))
    assert "This is your badge" in own and "You met" not in own
    stranger = make.attendee(
        make.event(name="Other Conf"), name="Stranger Danger", consents=people.Consents(card=True)
    )
    other = text_of(client.get(f"/b/{badge_token(session, stranger)}"))
    assert "Stranger Danger" in other and "You met" not in other
    assert session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_anonymous_and_organisers_see_the_public_card(
    client: Any, session: Any, auth: Any, make: Any, event: Event, jonas: Attendee
) -> None:
    token = badge_token(session, jonas)
    assert "You met" not in text_of(client.get(f"/b/{token}"))
    auth.login(make.member(event, role="organiser"))
    assert "You met" not in text_of(client.get(f"/b/{token}"))
    assert session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_a_private_card_shows_only_the_name_and_the_note(
    client: Any, session: Any, make: Any, event: Event, maria: Attendee
) -> None:
    shy = make.attendee(event, name="Shy Person", company="Secret Corp", handles=("github:shy-gh",))
    log_in(client, session, maria)
    paste(client, "https://github.com/shy-gh")
    page = text_of(client.get(f"/b/{badge_token(session, shy)}"))
    assert "You met Shy Person!" in visible(page)
    assert "keeps their card private" in page
    for secret in ("Secret Corp", "shy-gh", "You recognised", "/avatar"):
        assert secret not in page
    assert "Your note about Shy" in page


def test_the_note_is_saved_and_private(
    client: Any, session: Any, make: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    client.get(f"/b/{badge_token(session, jonas)}")
    saved = client.post(
        f"{PEOPLE}/{jonas.id}/note",
        data={"note": "Ask about <b>Rust</b> boards"},
        follow_redirects=True,
    )
    page = text_of(saved)
    assert "Note saved" in page
    assert "Ask about &lt;b&gt;Rust&lt;/b&gt; boards" in page
    too_long = client.post(f"{PEOPLE}/{jonas.id}/note", data={"note": "x" * 2001})
    assert too_long.status_code == 422 and "x" * 2001 in text_of(too_long)  # input kept

    client.post("/logout")
    log_in(client, session, jonas)
    theirs = text_of(client.get(f"{PEOPLE}/{maria.id}"))
    assert "Maria Fernández met you" in visible(theirs)
    assert "Rust" not in theirs
    assert client.post(f"{PEOPLE}/{maria.id}/note", data={"note": "x"}).status_code == 404
    stranger = make.attendee(session.get(Event, maria.event_id), name="Never Met")
    assert client.get(f"{PEOPLE}/{stranger.id}").status_code == 404


def test_someone_who_scanned_me_can_be_added_from_my_people(
    client: Any, session: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, jonas)
    client.get(f"/b/{badge_token(session, maria)}")
    client.post("/logout")
    log_in(client, session, maria)
    page = text_of(client.get(PEOPLE))
    assert "They scanned your badge" in page and "Jonas Becker" in page
    added = client.post(f"{PEOPLE}/{jonas.id}/add", follow_redirects=True)
    assert "Jonas Becker is in your people now" in text_of(added)
    assert service.meeting_of(session, attendee_id=maria.id, met_id=jonas.id) is not None


def test_avatars_are_served_to_people_who_met_or_follow_only(
    client: Any, session: Any, make: Any, event: Event, maria: Attendee, jonas: Attendee
) -> None:
    url = f"{PEOPLE}/{jonas.id}/avatar"
    log_in(client, session, maria)
    assert client.get(url).status_code == 404  # neither met nor followed
    paste(client, "https://github.com/jbecker")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "private" in response.headers["Cache-Control"]
    jonas.consent_card = False
    session.commit()
    assert client.get(url).status_code == 404


# --- my people and downloads ------------------------------------------------------------------


@pytest.fixture
def tricky(make: Any, event: Event) -> Attendee:
    """Someone whose details need escaping in a vCard and neutralising in a CSV."""
    return make.attendee(
        event,
        name='=HYPERLINK("http://evil") Smith',
        company="Martin & Fils, SARL; Paris",
        job_title="CTO",
        handles=("x:@tricky", "website:https://example.com/a-rather-long-path/that-goes-on"),
        consents=people.Consents(card=True),
    )


def test_my_people_lists_everyone_newest_first_with_downloads(
    client: Any, session: Any, make: Any, event: Event, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    empty = text_of(client.get(PEOPLE))
    assert "Nobody yet." in empty and ".vcf" not in empty
    service.record_meeting(session, attendee=maria, met=jonas, now=NOW)
    aiko = make.attendee(event, name="Aiko Tanaka", consents=people.Consents(card=True))
    service.record_meeting(session, attendee=maria, met=aiko, now=NOW + timedelta(minutes=8))
    session.commit()
    page = text_of(client.get(PEOPLE))
    assert page.index("Aiko Tanaka") < page.index("Jonas Becker")
    assert "You met 2 people" in visible(page)
    assert "/e/pycon-test/me/people.vcf" in page and "/e/pycon-test/me/people.csv" in page


def test_vcard_has_a_card_each_with_escaping_crlf_and_folding(
    client: Any, session: Any, maria: Attendee, jonas: Attendee, tricky: Attendee, make: Any
) -> None:
    shy = make.attendee(
        session.get(Event, maria.event_id),
        name="Shy Person",
        company="Secret Corp",
        handles=("github:shy-gh",),
    )
    for other in (jonas, tricky, shy):
        service.record_meeting(session, attendee=maria, met=other, now=NOW)
    service.save_note(
        session, attendee=maria, met_id=tricky.id, note="Loves; commas, and\nnewlines\\", now=NOW
    )
    session.commit()
    log_in(client, session, maria)
    response = client.get(f"{PEOPLE}.vcf")
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert body.count("BEGIN:VCARD") == 3 and body.count("END:VCARD") == 3
    assert "\n" not in body.replace("\r\n", "")  # CRLF everywhere
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert "\r\n " in body  # the long note was folded
    unfolded = body.replace("\r\n ", "")
    assert "FN:Jonas Becker\r\n" in unfolded and "N:Becker;Jonas;;;\r\n" in unfolded
    assert "ORG:Kiel Robotics\r\n" in unfolded
    assert "URL:https://chaos.social/@jonas\r\n" in unfolded
    assert "URL:https://github.com/jbecker\r\n" in unfolded
    assert "ORG:Martin & Fils\\, SARL\\; Paris\r\n" in unfolded
    assert (
        "NOTE:Loves\\; commas\\, and\\nnewlines\\\\\\n\\nMet at PyCon Test on 1 June 2026 at 10:42."
        in unfolded
    )
    assert "URL:https://example.com/a-rather-long-path/that-goes-on\r\n" in unfolded
    # Without card consent: the name (printed on the badge anyway) and nothing else.
    shy_card = unfolded.split("FN:Shy Person")[1].split("END:VCARD")[0]
    assert "Secret Corp" not in shy_card and "URL" not in shy_card and "ORG" not in shy_card


def test_csv_download_is_safe_from_formula_injection(
    client: Any, session: Any, maria: Attendee, tricky: Attendee
) -> None:
    service.record_meeting(session, attendee=maria, met=tricky, now=NOW)
    service.save_note(session, attendee=maria, met_id=tricky.id, note="+1 555 0100", now=NOW)
    session.commit()
    log_in(client, session, maria)
    response = client.get(f"{PEOPLE}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Name", "Company", "Job title", "Profiles", "Online", "Met at", "My note"]
    name, company, title, profiles, _, met_at, note = rows[1]
    assert name == '\'=HYPERLINK("http://evil") Smith'
    assert company == "Martin & Fils, SARL; Paris" and title == "CTO"
    assert profiles == "https://x.com/tricky https://example.com/a-rather-long-path/that-goes-on"
    assert met_at == "2026-06-01T10:42+02:00"
    assert note == "'+1 555 0100"


def test_my_data_json_has_meetings_and_the_follow_count(
    client: Any, session: Any, maria: Attendee, jonas: Attendee
) -> None:
    log_in(client, session, maria)
    paste(client, "https://x.com/a\n@jonas@chaos.social")
    client.get(f"/b/{badge_token(session, jonas)}")
    client.post(f"{PEOPLE}/{jonas.id}/note", data={"note": "Bikes"})
    data = json.loads(client.get("/e/pycon-test/me/data.json").get_data(as_text=True))
    assert data["follow_list"]["accounts"] == 2
    assert data["meetings"][0]["met"] == "Jonas Becker"
    assert data["meetings"][0]["note"] == "Bikes"
