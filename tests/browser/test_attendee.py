"""An attendee joins on a phone, edits their profile with live handle checks, shows their badge."""

import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image

pytestmark = pytest.mark.browser


def test_join_edit_profile_and_show_badge(known_server: Any, phone: Any) -> None:
    page = phone.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(known_server.url + "/e/demo/join")
    page.get_by_label("Name", exact=True).fill("Ada Playwright")
    page.get_by_label("E-mail", exact=True).fill("ada.playwright@example.com")
    page.get_by_label("Company", exact=True).fill("Analytical Engines")
    page.get_by_label("X / Twitter", exact=True).fill("https://www.twitter.com/Ada_PW?lang=en")
    page.get_by_text("✓ @ada_pw").wait_for()  # live validation by the server's parser
    page.get_by_label("Show my card").check()
    page.get_by_role("button", name="Join Known Demo Conf").click()
    page.get_by_role("heading", name="Hi, Ada!").wait_for()

    page.get_by_role("link", name="My profile").click()
    github = page.get_by_label("GitHub", exact=True)
    github.fill("not a valid name!")
    page.get_by_text("not a GitHub username").wait_for()
    github.fill("github.com/ada-pw/")
    page.get_by_text("✓ github.com/ada-pw").wait_for()
    page.get_by_label("Handle on the badge").select_option("github")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Profile saved.").wait_for()
    assert page.get_by_label("Pronouns").input_value() == "she/her"

    page.get_by_role("link", name="Badge", exact=True).click()
    page.get_by_role("heading", name="Ada Playwright").wait_for()
    assert page.get_by_text("github.com/ada-pw").is_visible()
    qr = page.locator("img.badge-qr")
    qr.wait_for()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 300  # big enough to scan from another phone
    shot = Image.open(io.BytesIO(qr.screenshot()))
    decoded = [r.text for r in zxingcpp.read_barcodes(shot)]
    assert len(decoded) == 1 and decoded[0].startswith(known_server.url + "/b/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
