"""The demo organiser logs in on a phone, creates an event and finds it on the dashboard."""

from typing import Any

import pytest

from tests.servers import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_organiser_creates_an_event_on_a_phone(known_server: Any, phone: Any) -> None:
    page = phone.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(known_server.url + "/login")
    page.get_by_label("E-mail").fill("organiser@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="My events").wait_for()
    assert page.get_by_text("Known Demo Conf").is_visible()

    page.get_by_role("link", name="New event").click()
    page.get_by_label("Name").fill("Phone Summit 2026")
    # The slug is suggested from the name by static/js/events.js.
    assert page.get_by_label("URL slug").input_value() == "phone-summit-2026"
    page.get_by_label("First day").fill("2026-10-01")
    page.get_by_label("Last day").fill("2026-10-02")
    page.get_by_label("Time zone").select_option("Europe/Lisbon")
    page.get_by_label("Venue").fill("Pier 7")
    page.get_by_role("button", name="Create event").click()
    page.get_by_text("is created").wait_for()

    page.get_by_role("link", name="My events").click()
    item = page.get_by_role("link", name="Phone Summit 2026")
    assert item.is_visible()
    # Nothing overflows sideways at phone width.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert errors == []
