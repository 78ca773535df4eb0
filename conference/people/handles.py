"""Online handles: parse what people type or paste into (platform, canonical handle, profile URL).

Pure functions, no Flask and no database: the attendee import runs them over thousands of CSV
cells, so every pattern is compiled once at import time.

Canonical forms (``Handle.handle``), chosen so that two spellings of the same account always
produce the same ``Handle.key`` (follow-list matching compares keys, never raw text):

- x, github, threads, instagram: the lower-case name without ``@``;
- linkedin: the lower-case slug after ``/in/``, percent-decoded (``Handle.url`` re-encodes it);
- mastodon: ``user@host``, lower-case, host being the account's home server;
- bluesky: the lower-case domain handle, e.g. ``maria.bsky.social`` or ``maria.dev``;
- website: ``host/path`` with a lower-case host, no scheme, no ``www.``, no trailing slash, no
  query or fragment; the path keeps its case because servers may treat it as significant.

``Handle.url`` is always https: https://x.com/name, https://www.linkedin.com/in/slug,
https://host/@user, https://bsky.app/profile/handle, https://github.com/name,
https://www.threads.net/@name, https://www.instagram.com/name and https://host/path.

``Handle.display`` writes ``@…`` where the platform itself writes handles that way (X, Threads,
Instagram, Mastodon, Bluesky) and a scheme-less link where it does not (LinkedIn, GitHub,
websites): ``@name``, ``@user@host``, ``@maria.bsky.social``, ``linkedin.com/in/slug``,
``github.com/name``, ``example.com/about``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote

PLATFORMS: tuple[str, ...] = (
    "x",
    "linkedin",
    "mastodon",
    "bluesky",
    "github",
    "threads",
    "instagram",
    "website",
)

PLATFORM_LABELS: dict[str, str] = {
    "x": "X / Twitter",
    "linkedin": "LinkedIn",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "github": "GitHub",
    "threads": "Threads",
    "instagram": "Instagram",
    "website": "Website",
}

ACCEPTED_FORMS: dict[str, str] = {
    "x": "@name, name or https://x.com/name",
    "linkedin": "name or https://www.linkedin.com/in/name",
    "mastodon": "@name@server, name@server or https://server/@name",
    "bluesky": "name.bsky.social, your own domain or https://bsky.app/profile/name.bsky.social",
    "github": "name or https://github.com/name",
    "threads": "@name, name or https://www.threads.net/@name",
    "instagram": "@name, name or https://www.instagram.com/name",
    "website": "example.com or https://example.com/page",
}

# What one account is called on each platform, for messages ("That is not a GitHub username").
_NOUNS: dict[str, str] = {
    "x": "X / Twitter handle",
    "linkedin": "LinkedIn profile",
    "mastodon": "Mastodon address",
    "bluesky": "Bluesky handle",
    "github": "GitHub username",
    "threads": "Threads username",
    "instagram": "Instagram username",
    "website": "website address",
}

# Longer than any real handle or profile link (a percent-encoded non-Latin LinkedIn slug can
# take 900 characters); bounds the work a hostile cell can cause.
_MAX_LENGTH = 2000

# Pasted text often carries invisible characters (zero-width spaces from chat apps, a BOM, soft
# hyphens from word processors) that would otherwise make a valid handle fail to validate.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

_X_NAME = re.compile(r"[a-z0-9_]{1,15}")
_GITHUB_NAME = re.compile(r"(?=[a-z0-9-]{1,39}$)[a-z0-9]+(?:-[a-z0-9]+)*")
_META_NAME = re.compile(r"[a-z0-9._]{1,30}")  # Instagram and Threads share Meta's rules
_LINKEDIN_SLUG = re.compile(r"(?:[^\W_]|-){3,100}")  # \w: LinkedIn has non-Latin slugs
_MASTODON_USER = re.compile(r"[a-z0-9_]{1,30}")
# A host name with at least one dot and a TLD of letters (or punycode), so that IP addresses,
# "localhost" and typos like "hachyderm" are refused. \w admits internationalised names.
_HOST = re.compile(
    r"(?=.{4,253}$)(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
)
# Bluesky handles are ASCII-only domain names (atproto handle spec).
_BLUESKY = re.compile(
    r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_PORT = re.compile(r"[0-9]{1,5}")
# RFC 3986 path characters (plus \w for non-Latin paths): nothing that could break out of an
# HTML attribute or smuggle whitespace into a link shown to other attendees.
_PATH_SEGMENT = re.compile(r"[\w\-.~!$&'()*+,;=:@%]+")
# A fediverse address: optional @, user, @, host, and nothing that could be a URL path.
_ADDRESS = re.compile(r"@?([^@\s/]+)@([^@\s/]+)")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_LINKEDIN_PATH = re.compile(r"/?in/", re.IGNORECASE)

_KNOWN_HOSTS: dict[str, str] = {
    "x.com": "x",
    "twitter.com": "x",
    "linkedin.com": "linkedin",
    "github.com": "github",
    "instagram.com": "instagram",
    "threads.net": "threads",
    "threads.com": "threads",
    "bsky.app": "bluesky",
}
# Subdomains that serve the same profiles as the bare host (LinkedIn also has country ones).
_SAME_SITE_PREFIXES = frozenset({"www", "m", "mobile"})
_COUNTRY_SUBDOMAIN = re.compile(r"[a-z]{2}")

# Big sites whose profile paths also look like Mastodon's /@name; they are websites, never
# fediverse servers.
_AT_PATH_SITES = frozenset({"youtube.com", "medium.com", "tiktok.com", "substack.com"})

# First path segments on the known hosts that are pages of the site, never a person.
# fmt: off
_RESERVED: dict[str, frozenset[str]] = {
    "x": frozenset(
        {
            "home", "i", "search", "explore", "notifications", "messages", "settings",
            "compose", "hashtag", "intent", "share", "login", "logout", "signup", "tos",
            "privacy", "about", "download", "jobs", "account", "lists", "bookmarks",
            "communities", "premium", "verified", "help", "who_to_follow", "twitter",
        }
    ),
    "github": frozenset(
        {
            "orgs", "organizations", "settings", "marketplace", "explore", "topics",
            "sponsors", "features", "pricing", "login", "logout", "join", "signup",
            "notifications", "issues", "pulls", "new", "about", "enterprise", "collections",
            "trending", "apps", "site", "security", "contact", "search", "codespaces",
            "dashboard", "users", "account", "customer-stories", "readme", "team", "home",
        }
    ),
    "instagram": frozenset(
        {
            "p", "reel", "reels", "explore", "stories", "accounts", "direct", "tv", "about",
            "legal", "developer", "web", "challenge", "emails",
        }
    ),
    "threads": frozenset({"search", "login", "settings", "activity", "t", "legal"}),
}
# fmt: on
_LINKEDIN_PAGES = frozenset({"company", "school", "showcase", "groups", "products", "pub"})


@dataclass(frozen=True)
class Handle:
    """One account on one platform, in canonical form (see the module docstring)."""

    platform: str
    handle: str
    url: str

    @property
    def key(self) -> str:
        """The matching key ``platform:handle``, e.g. ``x:maria_dev``."""
        return f"{self.platform}:{self.handle}"

    @property
    def display(self) -> str:
        """How to show the handle: ``@name``, ``linkedin.com/in/slug``, ``github.com/name``…"""
        if self.platform == "linkedin":
            return f"linkedin.com/in/{self.handle}"
        if self.platform == "github":
            return f"github.com/{self.handle}"
        if self.platform == "website":
            return self.handle
        return f"@{self.handle}"


class HandleError(ValueError):
    """Text that is not a handle; ``message`` is for the person who typed it.

    ``platform`` is the platform the message is about: the one asked for, else the one the text
    looked like, else None.
    """

    def __init__(self, message: str, platform: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform


def parse_handle(text: str, platform: str | None = None) -> Handle:
    """Parse one handle.

    With ``platform`` given, bare names are read as that platform (and a URL of a different
    platform is an error naming both). With platform None, the platform is detected from the URL
    host or shape: known hosts -> that platform; ``@user@host`` or ``user@host`` -> mastodon; a
    domain ending in .bsky.social -> bluesky; ``bsky.app/profile/...`` -> bluesky; any other
    http(s) URL, or a bare domain with a path or ``www.``, -> website. A bare name like ``@maria``
    or a bare domain like ``maria.dev`` with platform None is ambiguous: HandleError asking which
    platform.
    """
    if platform is not None and platform not in PLATFORM_LABELS:
        # A programming error, not a user's typo: it must not be caught as a bad handle.
        raise ValueError(f"unknown platform {platform!r}")
    value = _clean(text)
    if not value:
        if platform is None:
            raise HandleError("Enter a handle or a link to a profile.")
        label = PLATFORM_LABELS[platform]
        raise HandleError(f"Enter a handle for {label}: {ACCEPTED_FORMS[platform]}.", platform)
    if len(value) > _MAX_LENGTH:
        raise _invalid(platform, "That is too long for a handle" if platform is None else None)
    if value[:4].lower() == "did:":
        raise _did_error(platform)

    address = _ADDRESS.fullmatch(value)
    if address is not None:
        _expect(platform, "mastodon")
        user, host = address.group(1), address.group(2)
        if user[:5].lower() == "acct:":
            user = user[5:]
        # first.last@company.com is the usual mistake: Mastodon names have no dots.
        reason = (
            "That looks like an e-mail address, not a Mastodon address" if "." in user else None
        )
        return _mastodon(user, host, reason)

    if platform == "linkedin" and _LINKEDIN_PATH.match(value):
        # "in/slug" is how LinkedIn itself abbreviates a profile link.
        value = "linkedin.com/" + value.lstrip("/")
    if "/" in value:
        return _parse_url(value, platform)
    return _parse_bare(value, platform)


def detect_platform(text: str) -> str | None:
    """The platform ``parse_handle(text)`` would pick, or None if ambiguous or invalid."""
    handle = try_parse(text)
    return None if handle is None else handle.platform


def try_parse(text: str, platform: str | None = None) -> Handle | None:
    """Like ``parse_handle``, but None instead of raising ``HandleError``."""
    try:
        return parse_handle(text, platform)
    except HandleError:
        return None


# --- helpers -----------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """The text minus what never belongs to a handle: invisibles, outer spaces, end slashes."""
    # NFKC folds full-width letters and at signs (East Asian keyboards) into ASCII.
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).strip().rstrip("/")


def _invalid(platform: str | None, reason: str | None = None, *, noun: bool = False) -> HandleError:
    """The standard rejection: what it is not, then the forms that would work.

    ``noun`` appends what was asked for to a ``reason`` that does not name the platform, so that
    every message does.
    """
    if platform is None:
        return HandleError(
            (reason or "That is not a handle")
            + ". Use a profile link, e.g. https://x.com/name, or choose the platform."
        )
    if reason is None:
        reason = f"That is not {_a(_NOUNS[platform])}"
    elif noun:
        reason = f"{reason} ({_NOUNS[platform]})"
    return HandleError(f"{reason}. Use {ACCEPTED_FORMS[platform]}.", platform)


def _a(noun: str) -> str:
    """The noun with its indefinite article, as said aloud ("an X / Twitter handle")."""
    return f"{'an' if noun[0] in 'AEIOUX' else 'a'} {noun}"


def _expect(wanted: str | None, found: str) -> None:
    """Refuse a handle of platform ``found`` when the caller asked for another platform."""
    if wanted is None or wanted == found:
        return
    found_noun = "website" if found == "website" else f"{PLATFORM_LABELS[found]} account"
    raise _invalid(wanted, f"That is {_a(found_noun)}, not {_a(_NOUNS[wanted])}")


def _did_error(platform: str | None) -> HandleError:
    if platform not in (None, "bluesky"):
        return _invalid(platform)
    return _invalid(
        "bluesky", "A Bluesky DID is not accepted; give the handle it belongs to instead"
    )


def _mastodon(user: str, host: str, reason: str | None) -> Handle:
    user, host = user.lower(), host.lower().rstrip(".")
    if not _MASTODON_USER.fullmatch(user) or not _HOST.fullmatch(host):
        raise _invalid("mastodon", reason)
    return Handle("mastodon", f"{user}@{host}", f"https://{host}/@{user}")


def _bluesky(name: str) -> Handle:
    name = name.lower().rstrip(".")
    if name.startswith("did:"):
        raise _did_error("bluesky")
    if not _BLUESKY.fullmatch(name):
        raise _invalid("bluesky")
    return Handle("bluesky", name, f"https://bsky.app/profile/{name}")


def _named(platform: str, name: str) -> Handle:
    """An X, GitHub, Threads or Instagram account from its bare name."""
    name = name.removeprefix("@").lower()
    pattern = {"x": _X_NAME, "github": _GITHUB_NAME}.get(platform, _META_NAME)
    if not pattern.fullmatch(name):
        raise _invalid(platform)
    url = {
        "x": "https://x.com/{}",
        "github": "https://github.com/{}",
        "threads": "https://www.threads.net/@{}",
        "instagram": "https://www.instagram.com/{}",
    }[platform].format(name)
    return Handle(platform, name, url)


def _linkedin(slug: str) -> Handle:
    slug = unquote(slug.removeprefix("@")).lower()
    if not _LINKEDIN_SLUG.fullmatch(slug):
        raise _invalid("linkedin")
    return Handle("linkedin", slug, "https://www.linkedin.com/in/" + quote(slug, safe="-"))


def _website(host: str, path: list[str]) -> Handle:
    site = host.removeprefix("www.")
    handle = "/".join([site, *path])
    return Handle("website", handle, f"https://{handle}")


def _parse_bare(value: str, platform: str | None) -> Handle:
    """Text without a scheme or a slash: a name, or a bare domain."""
    if any(ch.isspace() for ch in value):
        raise _invalid(platform)
    # "maria.dev?ref=card" pasted without its scheme still carries a query string.
    value = value.split("#", 1)[0].split("?", 1)[0]
    name = value.removeprefix("@")
    lowered = name.lower()
    is_domain = "." in name and not value.startswith("@")
    if platform is None:
        if lowered.endswith(".bsky.social"):
            return _bluesky(name)
        if is_domain and lowered.startswith("www."):
            return _parse_url(value, None)
        if is_domain:
            raise HandleError(
                "Is that a website or a Bluesky handle? Choose the platform, or paste a link "
                "starting with https://."
            )
        raise HandleError(
            "Which platform is that handle on? Choose the platform, or paste the profile link "
            "(e.g. https://x.com/name)."
        )
    if platform == "bluesky":
        return _bluesky(name)
    if platform == "website":
        return _parse_url(value, platform)
    if platform == "linkedin":
        return _linkedin(name)
    if platform == "mastodon":
        if _MASTODON_USER.fullmatch(lowered):
            raise _invalid("mastodon", "A Mastodon address needs the server too")
        raise _invalid("mastodon")
    return _named(platform, name)


def _split_url(value: str, platform: str | None) -> tuple[str, list[str]]:
    """The lower-case host (with any port) and the non-empty path segments of a link."""
    scheme = _SCHEME.match(value)
    if scheme is not None:
        if scheme.group(1).lower() not in ("http", "https"):
            raise _invalid(platform, "That is not a web link", noun=True)
        value = value[scheme.end() :]
    value = value.split("#", 1)[0].split("?", 1)[0]
    authority, _, path = value.partition("/")
    host, colon, port = authority.lower().partition(":")
    host = host.rstrip(".")
    segments = [segment for segment in path.split("/") if segment]
    if (
        not _HOST.fullmatch(host)
        or (colon and not _PORT.fullmatch(port))
        or not all(_PATH_SEGMENT.fullmatch(segment) for segment in segments)
    ):
        raise _invalid(platform)
    if colon and port not in ("80", "443"):
        host = f"{host}:{port}"
    return host, segments


def _known_platform(host: str) -> str | None:
    """The platform a host serves profiles for, e.g. ``de.linkedin.com`` -> linkedin."""
    found = _KNOWN_HOSTS.get(host)
    if found is not None:
        return found
    sub, _, parent = host.partition(".")
    found = _KNOWN_HOSTS.get(parent)
    if found is None:
        return None
    if sub in _SAME_SITE_PREFIXES or (found == "linkedin" and _COUNTRY_SUBDOMAIN.fullmatch(sub)):
        return found
    return None


def _parse_url(value: str, platform: str | None) -> Handle:
    host, path = _split_url(value, platform)
    known = _known_platform(host)
    if known is not None:
        _expect(platform, known)
        return _from_known_site(known, path)

    if not path and host.endswith(".bsky.social"):
        _expect(platform, "bluesky")
        return _bluesky(host)
    if platform == "bluesky" and not path:
        # A pasted "https://maria.dev" in a Bluesky field: the domain is the handle.
        return _bluesky(host)

    mastodon = _mastodon_path(host, path, platform)
    if mastodon is not None:
        _expect(platform, "mastodon")
        try:
            return _mastodon(*mastodon, "That link is not a Mastodon profile")
        except HandleError:
            # Other sites use /@name too (with dots, say); unasked, such a link is a website.
            if platform is not None:
                raise

    _expect(platform, "website")
    return _website(host, path)


def _mastodon_path(host: str, path: list[str], platform: str | None) -> tuple[str, str] | None:
    """(user, home server) when a link on an unknown host is a fediverse profile."""
    if path and path[0] == "web":
        path = path[1:]  # the old web interface: https://host/web/@user
    if host.removeprefix("www.").removeprefix("m.") in _AT_PATH_SITES:
        return None
    if len(path) != 1 or not path[0].startswith("@"):
        if platform == "mastodon" and len(path) == 2 and path[0] == "users":
            return path[1], host  # the ActivityPub actor URL
        if platform == "mastodon" and len(path) > 1 and path[0].startswith("@"):
            raise _invalid("mastodon", "That Mastodon link is a post, not a profile")
        return None
    user, _, home = path[0][1:].partition("@")
    # https://mastodon.social/@ana@hachyderm.io shows a remote account; it lives on its home.
    return user, home or host


def _from_known_site(platform: str, path: list[str]) -> Handle:
    label = PLATFORM_LABELS[platform]
    if platform == "linkedin":
        if len(path) >= 2 and path[0].lower() == "in":
            # Profile sub-pages (/details/…, /recent-activity/…) still name the person.
            return _linkedin(path[1])
        if path and path[0].lower() in _LINKEDIN_PAGES:
            raise _invalid(
                "linkedin",
                "That is a LinkedIn company, school or group page, not a personal profile",
            )
        raise _invalid("linkedin", "That LinkedIn link is not a profile")
    if platform == "bluesky":
        if len(path) == 2 and path[0].lower() == "profile":
            return _bluesky(path[1].removeprefix("@"))
        raise _invalid("bluesky", "That Bluesky link is not a profile")
    if not path:
        raise _invalid(platform, f"That {label} link has no name in it")
    first = path[0].lower()
    if len(path) > 1 or first in _RESERVED[platform]:
        raise _invalid(platform, f"That {label} link is not a profile")
    return _named(platform, first)
