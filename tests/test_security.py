"""Security defaults every page shares: CSP without inline scripts, CSRF on every POST."""

import re
from typing import Any

import pytest


def test_csp_forbids_inline_scripts(client: Any) -> None:
    csp = client.get("/").headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src
    assert "'self'" in script_src
    assert "frame-ancestors 'none'" in csp


def test_pages_have_no_inline_scripts(client: Any, make: Any, auth: Any) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    auth.login(organiser)
    for path in [
        "/organiser",
        "/organiser/events/new",
        f"/organiser/events/{event.slug}/edit",
        f"/e/{event.slug}",
        "/login",
    ]:
        html = client.get(path).data.decode()
        for chunk in html.split("<script")[1:]:
            assert "src=" in chunk.split(">")[0], f"inline script on {path}"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_every_post_route_requires_a_csrf_token(app: Any, client: Any, make: Any) -> None:
    event = make.event()
    posts = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and rule.endpoint != "static"
    ]
    assert len(posts) >= 5
    for rule in posts:
        path = rule.rule.replace("<slug>", event.slug).replace("<token>", "x" * 32)
        path = re.sub(r"<int:[^>]+>", "1", path)
        response = client.post(path, data={})
        assert response.status_code == 400, f"{rule.rule} accepted a POST without CSRF token"
        assert b"expired" in response.data


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_login_form_works_with_its_csrf_token(client: Any, make: Any) -> None:
    account = make.account()
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": account.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 302


def test_session_cookies_follow_the_secret_key_and_its_fallbacks(app: Any, client: Any) -> None:
    """The signing serializer is built once per key set, and a new key still invalidates
    cookies signed with the old one unless the old one is listed as a fallback."""
    from itsdangerous import BadSignature

    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first  # built once, not per request
    cookie = first.dumps({"visits": 1})
    old_key = app.secret_key
    app.secret_key = "a-new-secret-key-of-at-least-32-characters"
    rotated = interface.get_signing_serializer(app)
    with pytest.raises(BadSignature):
        rotated.loads(cookie)
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert interface.get_signing_serializer(app).loads(cookie) == {"visits": 1}
    # and a real request still carries its session across requests
    app.secret_key = old_key
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/login").status_code == 200
