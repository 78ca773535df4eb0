"""Parsing handles: every way people write one, per platform, and the samples' handle columns."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conference.people.handles import (
    ACCEPTED_FORMS,
    PLATFORM_LABELS,
    PLATFORMS,
    Handle,
    HandleError,
    detect_platform,
    parse_handle,
    try_parse,
)

# The exporters' samples live beside this file once committed; while the feature is being
# written they are in the team's shared folder. Missing samples fail the tests, never skip them.
_SAMPLE_DIRS = (Path(__file__).parent / "samples", Path("/work/shared/samples"))


def sample_text(name: str) -> str:
    """The text of one exporter's sample file."""
    for directory in _SAMPLE_DIRS:
        if (directory / name).is_file():
            return (directory / name).read_text(encoding="utf-8")
    pytest.fail(f"sample {name} not found in {[str(d) for d in _SAMPLE_DIRS]}")


# --- accepted: (platform asked for, text, expected platform, canonical handle, canonical URL) ---

ACCEPTED: list[tuple[str | None, str, str, str, str]] = [
    # X / Twitter
    ("x", "maria_dev", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "  @Maria_Dev  ", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "\u200b@maria_dev\u200b", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "\uff20maria_dev", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "https://mobile.twitter.com/maria_dev", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "http://www.twitter.com/Maria_Dev/", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "m.twitter.com/maria_dev", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "https://x.com/maria_dev?s=21&t=abc", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "HTTPS://WWW.X.COM/MARIA_DEV#top", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "x.com/@maria_dev", "x", "maria_dev", "https://x.com/maria_dev"),
    ("x", "maria_dev/", "x", "maria_dev", "https://x.com/maria_dev"),
    (None, "https://twitter.com/maria_dev", "x", "maria_dev", "https://x.com/maria_dev"),
    (None, "x.com/a", "x", "a", "https://x.com/a"),
    # LinkedIn
    (
        "linkedin",
        "maria-schulz",
        "linkedin",
        "maria-schulz",
        "https://www.linkedin.com/in/maria-schulz",
    ),
    (
        "linkedin",
        "@maria-schulz",
        "linkedin",
        "maria-schulz",
        "https://www.linkedin.com/in/maria-schulz",
    ),
    (
        "linkedin",
        "in/maria-schulz",
        "linkedin",
        "maria-schulz",
        "https://www.linkedin.com/in/maria-schulz",
    ),
    (
        None,
        "linkedin.com/in/Maria-Schulz",
        "linkedin",
        "maria-schulz",
        "https://www.linkedin.com/in/maria-schulz",
    ),
    (
        "linkedin",
        "https://de.linkedin.com/in/maria-schulz-1a2b3c/?originalSubdomain=de",
        "linkedin",
        "maria-schulz-1a2b3c",
        "https://www.linkedin.com/in/maria-schulz-1a2b3c",
    ),
    (
        "linkedin",
        "http://uk.linkedin.com/in/maria-schulz",
        "linkedin",
        "maria-schulz",
        "https://www.linkedin.com/in/maria-schulz",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/maria-schulz/details/experience/",
        "linkedin",
        "maria-schulz",
        "https://www.linkedin.com/in/maria-schulz",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/%E7%8E%8B%E5%B0%8F%E6%98%8E",
        "linkedin",
        "\u738b\u5c0f\u660e",
        "https://www.linkedin.com/in/%E7%8E%8B%E5%B0%8F%E6%98%8E",
    ),
    # Mastodon, any server
    (None, "@Maria@Hachyderm.IO", "mastodon", "maria@hachyderm.io", "https://hachyderm.io/@maria"),
    (
        None,
        "maria@fosstodon.org",
        "mastodon",
        "maria@fosstodon.org",
        "https://fosstodon.org/@maria",
    ),
    (
        None,
        "https://fosstodon.org/@maria/",
        "mastodon",
        "maria@fosstodon.org",
        "https://fosstodon.org/@maria",
    ),
    (
        "mastodon",
        "fosstodon.org/@Maria",
        "mastodon",
        "maria@fosstodon.org",
        "https://fosstodon.org/@maria",
    ),
    (
        "mastodon",
        "acct:maria@hachyderm.io",
        "mastodon",
        "maria@hachyderm.io",
        "https://hachyderm.io/@maria",
    ),
    (
        "mastodon",
        "https://hachyderm.io/users/maria",
        "mastodon",
        "maria@hachyderm.io",
        "https://hachyderm.io/@maria",
    ),
    (
        "mastodon",
        "https://hachyderm.io/web/@maria",
        "mastodon",
        "maria@hachyderm.io",
        "https://hachyderm.io/@maria",
    ),
    (
        None,
        "https://en.osm.town/@mapmaker_mo?lang=en",
        "mastodon",
        "mapmaker_mo@en.osm.town",
        "https://en.osm.town/@mapmaker_mo",
    ),
    # A remote account seen through another server lives on its home server.
    (
        None,
        "https://mastodon.social/@maria@hachyderm.io",
        "mastodon",
        "maria@hachyderm.io",
        "https://hachyderm.io/@maria",
    ),
    # Bluesky
    (
        None,
        "maria.bsky.social",
        "bluesky",
        "maria.bsky.social",
        "https://bsky.app/profile/maria.bsky.social",
    ),
    (
        None,
        "@Maria.BSKY.social",
        "bluesky",
        "maria.bsky.social",
        "https://bsky.app/profile/maria.bsky.social",
    ),
    (
        None,
        "https://maria.bsky.social/",
        "bluesky",
        "maria.bsky.social",
        "https://bsky.app/profile/maria.bsky.social",
    ),
    (
        None,
        "https://bsky.app/profile/maria.dev",
        "bluesky",
        "maria.dev",
        "https://bsky.app/profile/maria.dev",
    ),
    ("bluesky", "maria.dev", "bluesky", "maria.dev", "https://bsky.app/profile/maria.dev"),
    ("bluesky", "@Maria.Dev", "bluesky", "maria.dev", "https://bsky.app/profile/maria.dev"),
    ("bluesky", "https://maria.dev", "bluesky", "maria.dev", "https://bsky.app/profile/maria.dev"),
    (
        "bluesky",
        "bsky.app/profile/@maria.bsky.social",
        "bluesky",
        "maria.bsky.social",
        "https://bsky.app/profile/maria.bsky.social",
    ),
    # GitHub
    ("github", "Maria-Dev", "github", "maria-dev", "https://github.com/maria-dev"),
    ("github", "@maria-dev", "github", "maria-dev", "https://github.com/maria-dev"),
    (
        "github",
        "GitHub.com/maria-dev?tab=repositories",
        "github",
        "maria-dev",
        "https://github.com/maria-dev",
    ),
    (
        None,
        "https://www.github.com/Maria-Dev/",
        "github",
        "maria-dev",
        "https://github.com/maria-dev",
    ),
    ("github", "a" * 39, "github", "a" * 39, "https://github.com/" + "a" * 39),
    # Threads
    (
        None,
        "https://www.threads.net/@maria.dev",
        "threads",
        "maria.dev",
        "https://www.threads.net/@maria.dev",
    ),
    ("threads", "@maria.dev", "threads", "maria.dev", "https://www.threads.net/@maria.dev"),
    ("threads", "maria.dev", "threads", "maria.dev", "https://www.threads.net/@maria.dev"),
    (
        "threads",
        "threads.com/@Maria_Dev",
        "threads",
        "maria_dev",
        "https://www.threads.net/@maria_dev",
    ),
    # Instagram
    (
        None,
        "https://instagram.com/maria.dev/",
        "instagram",
        "maria.dev",
        "https://www.instagram.com/maria.dev",
    ),
    ("instagram", "@Maria.Dev", "instagram", "maria.dev", "https://www.instagram.com/maria.dev"),
    (
        "instagram",
        "www.instagram.com/maria_dev?igsh=abc",
        "instagram",
        "maria_dev",
        "https://www.instagram.com/maria_dev",
    ),
    # Websites
    (None, "https://www.Maria.DEV/", "website", "maria.dev", "https://maria.dev"),
    (None, "http://maria.dev/About/", "website", "maria.dev/About", "https://maria.dev/About"),
    (None, "maria.dev/blog", "website", "maria.dev/blog", "https://maria.dev/blog"),
    (None, "www.maria.dev", "website", "maria.dev", "https://maria.dev"),
    ("website", "maria.dev", "website", "maria.dev", "https://maria.dev"),
    ("website", "https://maria.dev/?utm_source=x#top", "website", "maria.dev", "https://maria.dev"),
    (
        "website",
        "https://maria.dev:8080/x",
        "website",
        "maria.dev:8080/x",
        "https://maria.dev:8080/x",
    ),
    (
        None,
        "https://medium.com/@maria",
        "website",
        "medium.com/@maria",
        "https://medium.com/@maria",
    ),
    (None, "https://maria.github.io", "website", "maria.github.io", "https://maria.github.io"),
    (
        None,
        "https://gist.github.com/maria",
        "website",
        "gist.github.com/maria",
        "https://gist.github.com/maria",
    ),
]


@pytest.mark.parametrize(("platform", "text", "found", "handle", "url"), ACCEPTED)
def test_accepted(platform: str | None, text: str, found: str, handle: str, url: str) -> None:
    assert parse_handle(text, platform) == Handle(found, handle, url)
    # Naming the platform the text already shows never changes the result.
    assert parse_handle(text, found) == Handle(found, handle, url)


# --- rejected: (platform asked for, text, part of the message) -----------------------------------

REJECTED: list[tuple[str | None, str, str]] = [
    ("x", "", "Enter a handle"),
    (None, "   ", "Enter a handle"),
    ("github", "\u200b \u200b", "Enter a handle"),
    (None, "@maria", "Which platform"),
    (None, "maria", "Which platform"),
    (None, "maria.dev", "website or a Bluesky handle"),
    ("x", "maria_dev_is_too_long", "That is not an X / Twitter handle"),
    ("x", "maria-dev", "That is not an X / Twitter handle"),
    ("x", "not a handle", "That is not an X / Twitter handle"),
    ("x", "x" * 3000, "That is not an X / Twitter handle"),
    (None, "x" * 3000, "too long"),
    ("x", "https://x.com/home", "That X / Twitter link is not a profile"),
    ("x", "https://x.com/i/flow/login", "That X / Twitter link is not a profile"),
    ("x", "twitter.com/search?q=pycon", "That X / Twitter link is not a profile"),
    ("x", "https://x.com/maria_dev/status/1", "That X / Twitter link is not a profile"),
    ("x", "https://x.com/", "has no name in it"),
    ("x", "https://github.com/maria", "That is a GitHub account, not an X / Twitter handle"),
    ("x", "@maria@hachyderm.io", "That is a Mastodon account, not an X / Twitter handle"),
    ("github", "-maria", "That is not a GitHub username"),
    ("github", "maria-", "That is not a GitHub username"),
    ("github", "maria--dev", "That is not a GitHub username"),
    ("github", "maria_dev", "That is not a GitHub username"),
    ("github", "a" * 40, "That is not a GitHub username"),
    ("github", "github.com/orgs/python", "That GitHub link is not a profile"),
    ("github", "https://github.com/maria/dotfiles", "That GitHub link is not a profile"),
    ("linkedin", "https://www.linkedin.com/company/acme/", "company, school or group page"),
    ("linkedin", "https://www.linkedin.com/feed/", "That LinkedIn link is not a profile"),
    ("linkedin", "ab", "That is not a LinkedIn profile"),
    ("linkedin", "maria_schulz", "That is not a LinkedIn profile"),
    ("linkedin", "https://x.com/maria", "That is an X / Twitter account, not a LinkedIn profile"),
    ("mastodon", "maria", "A Mastodon address needs the server too"),
    ("mastodon", "this is not an address", "That is not a Mastodon address"),
    ("mastodon", "maria@localhost", "That is not a Mastodon address"),
    ("mastodon", "ana.garcia@example.com", "looks like an e-mail address"),
    ("mastodon", "https://hachyderm.io/about", "That is a website, not a Mastodon address"),
    ("mastodon", "https://hachyderm.io/@maria/112233", "That Mastodon link is a post"),
    ("bluesky", "did:plc:z72i7hdynmk6r22z27h6tvur", "Bluesky DID is not accepted"),
    (None, "did:plc:z72i7hdynmk6r22z27h6tvur", "Bluesky DID is not accepted"),
    ("bluesky", "bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur", "Bluesky DID"),
    ("bluesky", "maria", "That is not a Bluesky handle"),
    ("bluesky", "maria_dev.bsky.social", "That is not a Bluesky handle"),
    ("bluesky", "https://bsky.app/profile/maria.bsky.social/post/3k2", "not a profile"),
    ("bluesky", "https://bsky.app/", "That Bluesky link is not a profile"),
    ("instagram", "https://www.instagram.com/p/Cxyz123/", "That Instagram link is not a profile"),
    ("instagram", "maria dev", "That is not an Instagram username"),
    ("instagram", "a" * 31, "That is not an Instagram username"),
    ("threads", "https://www.threads.net/@maria/post/C1", "That Threads link is not a profile"),
    ("threads", "maria-dev", "That is not a Threads username"),
    ("website", "maria", "That is not a website address"),
    ("website", "ftp://maria.dev/files", "That is not a web link"),
    ("website", "https://192.168.0.1/", "That is not a website address"),
    ("website", "javascript:alert(1)", "That is not a website address"),
    ("website", 'https://maria.dev/"><script>', "That is not a website address"),
    ("website", "https://x.com/maria", "That is an X / Twitter account, not a website address"),
    (None, "javascript:alert(1)", "Which platform"),
]


@pytest.mark.parametrize(("platform", "text", "fragment"), REJECTED)
def test_rejected(platform: str | None, text: str, fragment: str) -> None:
    with pytest.raises(HandleError) as caught:
        parse_handle(text, platform)
    error = caught.value
    assert fragment in error.message
    assert str(error) == error.message
    assert try_parse(text, platform) is None
    if platform is not None:
        # Every message names the platform and tells the forms that would have worked.
        assert error.platform == platform
        assert PLATFORM_LABELS[platform].lower() in error.message.lower()
        if "Enter a handle" not in fragment:
            assert error.message.endswith(f"Use {ACCEPTED_FORMS[platform]}.")
        else:
            assert ACCEPTED_FORMS[platform] in error.message


def test_an_unknown_platform_is_a_programming_error_not_a_bad_handle() -> None:
    with pytest.raises(ValueError, match="unknown platform") as caught:
        parse_handle("maria", "myspace")
    assert not isinstance(caught.value, HandleError)


# --- the API's tables and the Handle's derived forms ---------------------------------------------


def test_every_platform_has_a_label_and_accepted_forms() -> None:
    assert PLATFORMS == (
        "x",
        "linkedin",
        "mastodon",
        "bluesky",
        "github",
        "threads",
        "instagram",
        "website",
    )
    assert set(PLATFORM_LABELS) == set(PLATFORMS) == set(ACCEPTED_FORMS)
    assert PLATFORM_LABELS["x"] == "X / Twitter"
    assert PLATFORM_LABELS["website"] == "Website"


@pytest.mark.parametrize(
    ("platform", "text", "key", "display"),
    [
        ("x", "@Maria_Dev", "x:maria_dev", "@maria_dev"),
        (
            "linkedin",
            "linkedin.com/in/maria-schulz",
            "linkedin:maria-schulz",
            "linkedin.com/in/maria-schulz",
        ),
        ("mastodon", "maria@hachyderm.io", "mastodon:maria@hachyderm.io", "@maria@hachyderm.io"),
        ("bluesky", "maria.bsky.social", "bluesky:maria.bsky.social", "@maria.bsky.social"),
        ("github", "maria-dev", "github:maria-dev", "github.com/maria-dev"),
        ("threads", "maria.dev", "threads:maria.dev", "@maria.dev"),
        ("instagram", "maria.dev", "instagram:maria.dev", "@maria.dev"),
        ("website", "https://maria.dev/blog/", "website:maria.dev/blog", "maria.dev/blog"),
    ],
)
def test_key_and_display(platform: str, text: str, key: str, display: str) -> None:
    handle = parse_handle(text, platform)
    assert (handle.key, handle.display) == (key, display)


def test_every_spelling_of_one_account_has_one_key() -> None:
    spellings = [
        "@Maria_Dev",
        "maria_dev",
        " https://twitter.com/maria_dev/ ",
        "x.com/MARIA_DEV?s=20",
        "mobile.twitter.com/maria_dev",
        "http://www.x.com/@maria_dev#x",
    ]
    assert {parse_handle(s, "x").key for s in spellings} == {"x:maria_dev"}


def test_handles_are_immutable_and_hashable() -> None:
    handle = parse_handle("@maria_dev", "x")
    with pytest.raises(AttributeError):
        handle.handle = "other"  # type: ignore[misc]
    assert len({handle, parse_handle("x.com/maria_dev")}) == 1


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("https://x.com/maria", "x"),
        ("@maria@hachyderm.io", "mastodon"),
        ("https://fosstodon.org/@maria", "mastodon"),
        ("maria.bsky.social", "bluesky"),
        ("bsky.app/profile/maria.dev", "bluesky"),
        ("github.com/maria", "github"),
        ("de.linkedin.com/in/maria", "linkedin"),
        ("https://maria.dev/", "website"),
        ("@maria", None),
        ("maria", None),
        ("maria.dev", None),
        ("", None),
        ("x.com/home", None),
        ("+442079460123", None),
        ("2026-04-20", None),
        ("SPKRNPK43FWS", None),
    ],
)
def test_detect_platform(text: str, platform: str | None) -> None:
    assert detect_platform(text) == platform


# --- the samples ---------------------------------------------------------------------------------

SIMPLE_COLUMNS = {
    "twitter": "x",
    "linkedin": "linkedin",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
    "github": "github",
}

# Every non-empty handle cell of attendees_simple.csv: (column, cell, handle, url).
SIMPLE_SHEET: list[tuple[str, str, str, str]] = [
    # twitter
    ("twitter", "@anagarcia_dev", "anagarcia_dev", "https://x.com/anagarcia_dev"),
    ("twitter", "https://twitter.com/jonaskeller", "jonaskeller", "https://x.com/jonaskeller"),
    ("twitter", "x.com/priyaraman", "priyaraman", "https://x.com/priyaraman"),
    ("twitter", "@Liam_OC", "liam_oc", "https://x.com/liam_oc"),
    ("twitter", "https://x.com/meilingchen", "meilingchen", "https://x.com/meilingchen"),
    ("twitter", "twitter.com/tnowak_pl", "tnowak_pl", "https://x.com/tnowak_pl"),
    ("twitter", "@svenlq", "svenlq", "https://x.com/svenlq"),
    ("twitter", "https://twitter.com/chloedubois_", "chloedubois_", "https://x.com/chloedubois_"),
    ("twitter", "x.com/kwamecodes", "kwamecodes", "https://x.com/kwamecodes"),
    ("twitter", "@diegofdz", "diegofdz", "https://x.com/diegofdz"),
    ("twitter", "https://x.com/aikotanaka", "aikotanaka", "https://x.com/aikotanaka"),
    ("twitter", "twitter.com/seun_builds", "seun_builds", "https://x.com/seun_builds"),
    ("twitter", "@martarossi_it", "martarossi_it", "https://x.com/martarossi_it"),
    ("twitter", "https://twitter.com/NoahWData", "noahwdata", "https://x.com/noahwdata"),
    ("twitter", "x.com/rahulv_dev", "rahulv_dev", "https://x.com/rahulv_dev"),
    ("twitter", "@sofiapap", "sofiapap", "https://x.com/sofiapap"),
    ("twitter", "https://x.com/ethanbrooks", "ethanbrooks", "https://x.com/ethanbrooks"),
    ("twitter", "twitter.com/leilasec", "leilasec", "https://x.com/leilasec"),
    ("twitter", "@matteob", "matteob", "https://x.com/matteob"),
    ("twitter", "https://twitter.com/gracekim_ml", "gracekim_ml", "https://x.com/gracekim_ml"),
    ("twitter", "x.com/pedroalmeida", "pedroalmeida", "https://x.com/pedroalmeida"),
    ("twitter", "@yusufdemir_tr", "yusufdemir_tr", "https://x.com/yusufdemir_tr"),
    ("twitter", "https://x.com/dcohen_data", "dcohen_data", "https://x.com/dcohen_data"),
    ("twitter", "twitter.com/nadiapetrova", "nadiapetrova", "https://x.com/nadiapetrova"),
    ("twitter", "@lucasmartin", "lucasmartin", "https://x.com/lucasmartin"),
    ("twitter", "x.com/zaneledev", "zaneledev", "https://x.com/zaneledev"),
    # linkedin
    (
        "linkedin",
        "linkedin.com/in/ana-garcia-ruiz/",
        "ana-garcia-ruiz",
        "https://www.linkedin.com/in/ana-garcia-ruiz",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/jonas-keller-4b21a7",
        "jonas-keller-4b21a7",
        "https://www.linkedin.com/in/jonas-keller-4b21a7",
    ),
    (
        "linkedin",
        "www.linkedin.com/in/priyaraman",
        "priyaraman",
        "https://www.linkedin.com/in/priyaraman",
    ),
    (
        "linkedin",
        "https://linkedin.com/in/liam-oconnor-dublin/",
        "liam-oconnor-dublin",
        "https://www.linkedin.com/in/liam-oconnor-dublin",
    ),
    (
        "linkedin",
        "linkedin.com/in/mei-ling-chen",
        "mei-ling-chen",
        "https://www.linkedin.com/in/mei-ling-chen",
    ),
    (
        "linkedin",
        "https://pl.linkedin.com/in/tomasz-nowak-data",
        "tomasz-nowak-data",
        "https://www.linkedin.com/in/tomasz-nowak-data",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/fatimazahra-benali/",
        "fatimazahra-benali",
        "https://www.linkedin.com/in/fatimazahra-benali",
    ),
    (
        "linkedin",
        "linkedin.com/in/svenlindqvist",
        "svenlindqvist",
        "https://www.linkedin.com/in/svenlindqvist",
    ),
    (
        "linkedin",
        "https://fr.linkedin.com/in/chloe-dubois-ux",
        "chloe-dubois-ux",
        "https://www.linkedin.com/in/chloe-dubois-ux",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/kwame-mensah-gh",
        "kwame-mensah-gh",
        "https://www.linkedin.com/in/kwame-mensah-gh",
    ),
    (
        "linkedin",
        "linkedin.com/in/hannah-schmidt-devops/",
        "hannah-schmidt-devops",
        "https://www.linkedin.com/in/hannah-schmidt-devops",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/diegofernandez-ar",
        "diegofernandez-ar",
        "https://www.linkedin.com/in/diegofernandez-ar",
    ),
    (
        "linkedin",
        "linkedin.com/in/oluwaseun-adeyemi",
        "oluwaseun-adeyemi",
        "https://www.linkedin.com/in/oluwaseun-adeyemi",
    ),
    (
        "linkedin",
        "https://it.linkedin.com/in/marta-rossi-dev/",
        "marta-rossi-dev",
        "https://www.linkedin.com/in/marta-rossi-dev",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/noah-williams-data",
        "noah-williams-data",
        "https://www.linkedin.com/in/noah-williams-data",
    ),
    ("linkedin", "ingridhaugen", "ingridhaugen", "https://www.linkedin.com/in/ingridhaugen"),
    (
        "linkedin",
        "https://in.linkedin.com/in/rahul-verma-cloud",
        "rahul-verma-cloud",
        "https://www.linkedin.com/in/rahul-verma-cloud",
    ),
    (
        "linkedin",
        "linkedin.com/in/sofia-papadopoulou/",
        "sofia-papadopoulou",
        "https://www.linkedin.com/in/sofia-papadopoulou",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/ethanbrooks",
        "ethanbrooks",
        "https://www.linkedin.com/in/ethanbrooks",
    ),
    (
        "linkedin",
        "linkedin.com/in/leila-haddad-sec",
        "leila-haddad-sec",
        "https://www.linkedin.com/in/leila-haddad-sec",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/grace-kim-ml/",
        "grace-kim-ml",
        "https://www.linkedin.com/in/grace-kim-ml",
    ),
    (
        "linkedin",
        "linkedin.com/in/pedro-almeida-pt",
        "pedro-almeida-pt",
        "https://www.linkedin.com/in/pedro-almeida-pt",
    ),
    (
        "linkedin",
        "https://tr.linkedin.com/in/yusufdemir",
        "yusufdemir",
        "https://www.linkedin.com/in/yusufdemir",
    ),
    (
        "linkedin",
        "linkedin.com/in/emma-johansson-games",
        "emma-johansson-games",
        "https://www.linkedin.com/in/emma-johansson-games",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/daniel-cohen-data",
        "daniel-cohen-data",
        "https://www.linkedin.com/in/daniel-cohen-data",
    ),
    (
        "linkedin",
        "linkedin.com/in/nadia-petrova-qa/",
        "nadia-petrova-qa",
        "https://www.linkedin.com/in/nadia-petrova-qa",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/in/lucasmartin-dev",
        "lucasmartin-dev",
        "https://www.linkedin.com/in/lucasmartin-dev",
    ),
    (
        "linkedin",
        "https://za.linkedin.com/in/zanele-dlamini",
        "zanele-dlamini",
        "https://www.linkedin.com/in/zanele-dlamini",
    ),
    # mastodon
    (
        "mastodon",
        "@anagarcia@hachyderm.io",
        "anagarcia@hachyderm.io",
        "https://hachyderm.io/@anagarcia",
    ),
    ("mastodon", "jonask@chaos.social", "jonask@chaos.social", "https://chaos.social/@jonask"),
    (
        "mastodon",
        "https://fosstodon.org/@priyar",
        "priyar@fosstodon.org",
        "https://fosstodon.org/@priyar",
    ),
    ("mastodon", "@liam@mastodon.ie", "liam@mastodon.ie", "https://mastodon.ie/@liam"),
    (
        "mastodon",
        "https://mastodon.social/@meiling",
        "meiling@mastodon.social",
        "https://mastodon.social/@meiling",
    ),
    ("mastodon", "tnowak@101010.pl", "tnowak@101010.pl", "https://101010.pl/@tnowak"),
    (
        "mastodon",
        "@fzbenali@mastodon.online",
        "fzbenali@mastodon.online",
        "https://mastodon.online/@fzbenali",
    ),
    (
        "mastodon",
        "https://mastodon.nu/@svenlq",
        "svenlq@mastodon.nu",
        "https://mastodon.nu/@svenlq",
    ),
    ("mastodon", "@chloe@piaille.fr", "chloe@piaille.fr", "https://piaille.fr/@chloe"),
    ("mastodon", "hannah@norden.social", "hannah@norden.social", "https://norden.social/@hannah"),
    (
        "mastodon",
        "https://mastodon.social/@diegofdz",
        "diegofdz@mastodon.social",
        "https://mastodon.social/@diegofdz",
    ),
    ("mastodon", "@aiko@mstdn.jp", "aiko@mstdn.jp", "https://mstdn.jp/@aiko"),
    (
        "mastodon",
        "martarossi@mastodon.uno",
        "martarossi@mastodon.uno",
        "https://mastodon.uno/@martarossi",
    ),
    ("mastodon", "@noahw@hachyderm.io", "noahw@hachyderm.io", "https://hachyderm.io/@noahw"),
    (
        "mastodon",
        "https://snabelen.no/@ingrid",
        "ingrid@snabelen.no",
        "https://snabelen.no/@ingrid",
    ),
    ("mastodon", "@rahulv@fosstodon.org", "rahulv@fosstodon.org", "https://fosstodon.org/@rahulv"),
    (
        "mastodon",
        "ethanb@mastodon.social",
        "ethanb@mastodon.social",
        "https://mastodon.social/@ethanb",
    ),
    (
        "mastodon",
        "@leila@infosec.exchange",
        "leila@infosec.exchange",
        "https://infosec.exchange/@leila",
    ),
    (
        "mastodon",
        "https://mastodon.uno/@matteob",
        "matteob@mastodon.uno",
        "https://mastodon.uno/@matteob",
    ),
    (
        "mastodon",
        "@gracekim@sigmoid.social",
        "gracekim@sigmoid.social",
        "https://sigmoid.social/@gracekim",
    ),
    ("mastodon", "pedro@masto.pt", "pedro@masto.pt", "https://masto.pt/@pedro"),
    (
        "mastodon",
        "https://mastodon.gamedev.place/@emmaj",
        "emmaj@mastodon.gamedev.place",
        "https://mastodon.gamedev.place/@emmaj",
    ),
    (
        "mastodon",
        "@dcohen@mastodon.social",
        "dcohen@mastodon.social",
        "https://mastodon.social/@dcohen",
    ),
    ("mastodon", "nadia@fosstodon.org", "nadia@fosstodon.org", "https://fosstodon.org/@nadia"),
    ("mastodon", "https://piaille.fr/@lucasm", "lucasm@piaille.fr", "https://piaille.fr/@lucasm"),
    (
        "mastodon",
        "@zanele@toot.community",
        "zanele@toot.community",
        "https://toot.community/@zanele",
    ),
    # bluesky
    (
        "bluesky",
        "anagarcia.bsky.social",
        "anagarcia.bsky.social",
        "https://bsky.app/profile/anagarcia.bsky.social",
    ),
    (
        "bluesky",
        "@jonaskeller.bsky.social",
        "jonaskeller.bsky.social",
        "https://bsky.app/profile/jonaskeller.bsky.social",
    ),
    (
        "bluesky",
        "https://bsky.app/profile/priyaraman.dev",
        "priyaraman.dev",
        "https://bsky.app/profile/priyaraman.dev",
    ),
    (
        "bluesky",
        "bsky.app/profile/liamoc.bsky.social",
        "liamoc.bsky.social",
        "https://bsky.app/profile/liamoc.bsky.social",
    ),
    ("bluesky", "meiling.dev", "meiling.dev", "https://bsky.app/profile/meiling.dev"),
    (
        "bluesky",
        "fzbenali.bsky.social",
        "fzbenali.bsky.social",
        "https://bsky.app/profile/fzbenali.bsky.social",
    ),
    (
        "bluesky",
        "chloedubois.bsky.social",
        "chloedubois.bsky.social",
        "https://bsky.app/profile/chloedubois.bsky.social",
    ),
    (
        "bluesky",
        "@kwamecodes.bsky.social",
        "kwamecodes.bsky.social",
        "https://bsky.app/profile/kwamecodes.bsky.social",
    ),
    (
        "bluesky",
        "https://bsky.app/profile/diegofdz.bsky.social",
        "diegofdz.bsky.social",
        "https://bsky.app/profile/diegofdz.bsky.social",
    ),
    (
        "bluesky",
        "aikotanaka.bsky.social",
        "aikotanaka.bsky.social",
        "https://bsky.app/profile/aikotanaka.bsky.social",
    ),
    (
        "bluesky",
        "seun.bsky.social",
        "seun.bsky.social",
        "https://bsky.app/profile/seun.bsky.social",
    ),
    (
        "bluesky",
        "noahw.bsky.social",
        "noahw.bsky.social",
        "https://bsky.app/profile/noahw.bsky.social",
    ),
    (
        "bluesky",
        "@rahulv.bsky.social",
        "rahulv.bsky.social",
        "https://bsky.app/profile/rahulv.bsky.social",
    ),
    (
        "bluesky",
        "sofiapap.bsky.social",
        "sofiapap.bsky.social",
        "https://bsky.app/profile/sofiapap.bsky.social",
    ),
    (
        "bluesky",
        "https://bsky.app/profile/ethanbrooks.net",
        "ethanbrooks.net",
        "https://bsky.app/profile/ethanbrooks.net",
    ),
    (
        "bluesky",
        "leilasec.bsky.social",
        "leilasec.bsky.social",
        "https://bsky.app/profile/leilasec.bsky.social",
    ),
    (
        "bluesky",
        "gracekim.bsky.social",
        "gracekim.bsky.social",
        "https://bsky.app/profile/gracekim.bsky.social",
    ),
    (
        "bluesky",
        "@yusufdemir.bsky.social",
        "yusufdemir.bsky.social",
        "https://bsky.app/profile/yusufdemir.bsky.social",
    ),
    (
        "bluesky",
        "emmaj.bsky.social",
        "emmaj.bsky.social",
        "https://bsky.app/profile/emmaj.bsky.social",
    ),
    (
        "bluesky",
        "nadiapetrova.bsky.social",
        "nadiapetrova.bsky.social",
        "https://bsky.app/profile/nadiapetrova.bsky.social",
    ),
    (
        "bluesky",
        "lucasmartin.bsky.social",
        "lucasmartin.bsky.social",
        "https://bsky.app/profile/lucasmartin.bsky.social",
    ),
    ("bluesky", "zanele.dev", "zanele.dev", "https://bsky.app/profile/zanele.dev"),
    # github
    ("github", "github.com/anagarcia-dev", "anagarcia-dev", "https://github.com/anagarcia-dev"),
    ("github", "jkeller", "jkeller", "https://github.com/jkeller"),
    ("github", "https://github.com/priyaraman", "priyaraman", "https://github.com/priyaraman"),
    ("github", "@liamoc", "liamoc", "https://github.com/liamoc"),
    ("github", "github.com/meilingc", "meilingc", "https://github.com/meilingc"),
    ("github", "tnowak", "tnowak", "https://github.com/tnowak"),
    ("github", "github.com/fzbenali", "fzbenali", "https://github.com/fzbenali"),
    ("github", "https://github.com/svenlq/", "svenlq", "https://github.com/svenlq"),
    ("github", "kwamecodes", "kwamecodes", "https://github.com/kwamecodes"),
    ("github", "github.com/hschmidt-ops", "hschmidt-ops", "https://github.com/hschmidt-ops"),
    ("github", "diegofdz", "diegofdz", "https://github.com/diegofdz"),
    ("github", "https://github.com/aikotanaka", "aikotanaka", "https://github.com/aikotanaka"),
    ("github", "github.com/seunbuilds", "seunbuilds", "https://github.com/seunbuilds"),
    ("github", "noahwilliams", "noahwilliams", "https://github.com/noahwilliams"),
    ("github", "github.com/ingridh", "ingridh", "https://github.com/ingridh"),
    ("github", "rahul-verma-dev", "rahul-verma-dev", "https://github.com/rahul-verma-dev"),
    ("github", "github.com/ebrooks", "ebrooks", "https://github.com/ebrooks"),
    ("github", "leilasec", "leilasec", "https://github.com/leilasec"),
    ("github", "github.com/matteobianchi", "matteobianchi", "https://github.com/matteobianchi"),
    ("github", "gracekim-ml", "gracekim-ml", "https://github.com/gracekim-ml"),
    (
        "github",
        "https://github.com/pedroalmeida",
        "pedroalmeida",
        "https://github.com/pedroalmeida",
    ),
    ("github", "yusufd", "yusufd", "https://github.com/yusufd"),
    ("github", "github.com/emmaj-games", "emmaj-games", "https://github.com/emmaj-games"),
    ("github", "dcohen", "dcohen", "https://github.com/dcohen"),
    ("github", "github.com/lucasm", "lucasm", "https://github.com/lucasm"),
    ("github", "zaneledev", "zaneledev", "https://github.com/zaneledev"),
]


@pytest.mark.parametrize(("column", "cell", "handle", "url"), SIMPLE_SHEET)
def test_simple_sheet_cell(column: str, cell: str, handle: str, url: str) -> None:
    platform = SIMPLE_COLUMNS[column]
    assert parse_handle(cell, platform) == Handle(platform, handle, url)


def test_simple_sheet_table_covers_every_cell() -> None:
    rows = list(csv.DictReader(io.StringIO(sample_text("attendees_simple.csv"))))
    cells = [(column, row[column]) for column in SIMPLE_COLUMNS for row in rows if row[column]]
    assert cells == [(column, cell) for column, cell, _, _ in SIMPLE_SHEET]


def _sample_cells() -> list[tuple[str, str, str]]:
    """(file, platform, cell) for every non-empty handle cell of the other exporters' samples."""
    columns: dict[str, dict[str, str]] = {
        "mastodon_following_accounts.csv": {"Account address": "mastodon"},
        "linkedin_Connections.csv": {"URL": "linkedin"},
        "attendees_pretix.csv": {
            "X / Twitter handle": "x",
            "Mastodon address": "mastodon",
            "LinkedIn profile": "linkedin",
            "GitHub username": "github",
        },
        "attendees_eventbrite.csv": {"Twitter / X handle": "x", "Mastodon handle": "mastodon"},
    }
    found: list[tuple[str, str, str]] = []
    for name, wanted in columns.items():
        lines = sample_text(name).splitlines()
        # LinkedIn writes a notice before its header; the header is the line naming the columns.
        start = next(i for i, line in enumerate(lines) if any(c in line for c in wanted))
        for row in csv.DictReader(lines[start:]):
            found += [(name, p, row[column]) for column, p in wanted.items() if row[column]]
    return found


SAMPLE_CELLS = _sample_cells()


def test_the_samples_have_the_handles_we_expect() -> None:
    files = {name for name, _, _ in SAMPLE_CELLS}
    assert len(files) == 4
    assert len(SAMPLE_CELLS) >= 100


@pytest.mark.parametrize(("name", "platform", "cell"), SAMPLE_CELLS)
def test_sample_cell_parses(name: str, platform: str, cell: str) -> None:
    handle = parse_handle(cell, platform)
    assert handle.platform == platform
    assert handle.url.startswith("https://")
    # Without the column's platform, a cell either says its platform itself or is refused as
    # ambiguous; it is never read as a different account.
    assert try_parse(cell) in (None, handle)


def test_mastodon_follows_match_the_attendees_sheet_by_key() -> None:
    """The README promises 8 attendees among the Mastodon follows and 8 LinkedIn connections."""
    sheet = {(c, SIMPLE_COLUMNS[col]) for col, c, _, _ in SIMPLE_SHEET}
    sheet_keys = {parse_handle(cell, platform).key for cell, platform in sheet}
    for name in ("mastodon_following_accounts.csv", "linkedin_Connections.csv"):
        keys = {parse_handle(c, p).key for n, p, c in SAMPLE_CELLS if n == name}
        assert len(keys & sheet_keys) == 8, name
