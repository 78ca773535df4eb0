"""Reading follow lists: pasted handles, Mastodon's follows CSV, LinkedIn's Connections.csv."""

from __future__ import annotations

import pytest

from conference.network import follows
from conference.network.follows import FollowListError, parse_file, parse_pasted
from tests.network.conftest import sample


def keys(result: follows.FollowList) -> list[str]:
    return [h.key for h in result.handles]


# --- pasted -----------------------------------------------------------------------------------


def test_pasted_lines_and_commas_are_read_and_duplicates_collapse() -> None:
    text = (
        "https://x.com/maria_dev\n"
        "\n"
        "@jonas@chaos.social, linkedin.com/in/priya-raman ,  aiko.bsky.social\n"
        "https://twitter.com/Maria_Dev/\n"  # the same X account written another way
        "https://fosstodon.org/@priyar\n"
        "github.com/jbecker"
    )
    result = parse_pasted(text)
    assert keys(result) == [
        "x:maria_dev",
        "mastodon:jonas@chaos.social",
        "linkedin:priya-raman",
        "bluesky:aiko.bsky.social",
        "mastodon:priyar@fosstodon.org",
        "github:jbecker",
    ]
    assert result.duplicates == 1
    assert result.bad == []
    assert result.source == follows.PASTED


def test_unparseable_lines_are_reported_with_line_text_and_reason() -> None:
    text = (
        "@maria_dev\n"  # a bare name: which platform?
        "https://x.com/ok_one\n"
        "first.last@company.com\n"  # an e-mail address, not a Mastodon address
        "Maria Fernández\n"
        "https://linkedin.com/company/acme, https://github.com/ok-two"
    )
    result = parse_pasted(text)
    assert keys(result) == ["x:ok_one", "github:ok-two"]
    assert [(b.line, b.text) for b in result.bad] == [
        (1, "@maria_dev"),
        (3, "first.last@company.com"),
        (4, "Maria Fernández"),
        (5, "https://linkedin.com/company/acme"),
    ]
    reasons = [b.reason for b in result.bad]
    assert "Which platform is that handle on?" in reasons[0]
    assert "e-mail address" in reasons[1]
    assert "company, school or group page" in reasons[3]
    assert result.bad_text == (
        "@maria_dev\nfirst.last@company.com\nMaria Fernández\nhttps://linkedin.com/company/acme"
    )


def test_bare_names_take_the_chosen_platform_but_links_keep_theirs() -> None:
    result = parse_pasted(
        "@maria_dev\njonas\n@ana@hachyderm.io\nhttps://github.com/grace\nnot valid!", "x"
    )
    assert keys(result) == [
        "x:maria_dev",
        "x:jonas",
        "mastodon:ana@hachyderm.io",
        "github:grace",
    ]
    assert [b.line for b in result.bad] == [5]
    assert "X / Twitter" in result.bad[0].reason

    bluesky = parse_pasted("maria.dev\n@aiko", "bluesky")
    assert keys(bluesky) == ["bluesky:maria.dev"]
    assert bluesky.bad[0].text == "@aiko"


def test_a_very_long_bad_line_is_shortened_in_the_report() -> None:
    result = parse_pasted("x" * 500 + " y")
    assert len(result.bad[0].text) == 120 and result.bad[0].text.endswith("…")


def test_an_unknown_default_platform_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_pasted("@a", "myspace")


# --- files ------------------------------------------------------------------------------------


def test_mastodon_export_gives_twenty_accounts() -> None:
    result = parse_file(sample("mastodon_following_accounts.csv"))
    assert result.source == follows.MASTODON
    assert len(result.handles) == 20 and result.bad == []
    assert result.handles[0].key == "mastodon:anagarcia@hachyderm.io"
    assert "mastodon:quantum_quinn@sigmoid.social" in keys(result)
    assert all(h.platform == "mastodon" for h in result.handles)


def test_linkedin_export_skips_its_preamble_and_gives_twenty_profiles() -> None:
    result = parse_file(sample("linkedin_Connections.csv"))
    assert result.source == follows.LINKEDIN
    assert len(result.handles) == 20 and result.bad == []
    assert result.handles[0].key == "linkedin:zanele-dlamini"
    assert "linkedin:anja-kovac" in keys(result)


def test_linkedin_rows_without_a_profile_link_are_reported_with_the_name() -> None:
    data = sample("linkedin_Connections.csv").decode()
    data = data.replace("https://www.linkedin.com/in/hugo-lemaire-7c3e1a", "")
    data = data.replace("https://www.linkedin.com/in/grace-kim-ml", "https://example.com/grace")
    result = parse_file(data.encode())
    assert len(result.handles) == 18
    # The header is on line 4 (after "Notes:", the notice and a blank line).
    assert [(b.line, b.text) for b in result.bad] == [
        (6, "Hugo Lemaire"),
        (7, "Grace Kim: https://example.com/grace"),
    ]
    assert result.bad[0].reason == "This row has no profile address."
    assert "LinkedIn" in result.bad[1].reason


def test_a_mastodon_export_with_a_broken_address_reports_its_line() -> None:
    data = sample("mastodon_following_accounts.csv").decode()
    data = data.replace("liam@mastodon.ie", "liam at mastodon")
    result = parse_file(data.encode())
    assert len(result.handles) == 19
    assert [(b.line, b.text) for b in result.bad] == [(7, "liam at mastodon")]


def test_a_text_file_of_handles_is_read_like_pasted_text() -> None:
    result = parse_file(b"@maria_dev\nhttps://x.com/jonas\nbad one\n", "x")
    assert keys(result) == ["x:maria_dev", "x:jonas"]
    assert [b.line for b in result.bad] == [3]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"name,email,company\nAna,ana@example.com,Acme\n", "unknown_file"),
        (b"PK\x03\x04 a zip file", "not_text"),
        (b"\x00\x01\x02" * 100, "not_text"),
        (b"x" * (follows.MAX_UPLOAD_BYTES + 1), "file_too_large"),
    ],
)
def test_files_that_are_not_follow_lists_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(FollowListError) as err:
        parse_file(data)
    assert err.value.code == code
    assert err.value.message


def test_more_follows_than_the_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follows, "MAX_FOLLOWS", 3)
    with pytest.raises(FollowListError) as err:
        parse_pasted("@a,@b,@c,@d", "x")
    assert err.value.code == "too_many_follows"
