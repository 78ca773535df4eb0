"""A real camera: Chromium's fake capture device plays a video of a badge QR to the scanner.

The test writes the video itself (raw YUV4MPEG2, 640x480, 10 fps, 2 s) from the QR code of a
real badge of the test server; the page decodes the frames (BarcodeDetector where the browser
has it, jsQR from npm elsewhere, which is the case on Linux) and the attendee is checked in on
the server exactly once, however many frames show the same badge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qrcode
from PIL import Image

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path
from tests.checkin.test_scanner_browser import (
    db_rows,
    log_in,
    scanner_url,
    seed_door,
    start_server,
)
from tests.servers import KnownServer

pytestmark = pytest.mark.browser

WIDTH, HEIGHT, FPS, SECONDS = 640, 480, 10, 2


def write_y4m(path: Path, text: str) -> Path:
    """A Y4M video (4:2:0, JPEG chroma siting) of ``text``'s QR code centred on white."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    code.add_data(text)
    code.make(fit=True)
    qr = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    side = int(HEIGHT * 0.8)
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(qr, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = (
        y.tobytes()
        + cb.resize(half, Image.Resampling.BOX).tobytes()
        + cr.resize(half, Image.Resampling.BOX).tobytes()
    )
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(FPS * SECONDS):
            out.write(b"FRAME\n")
            out.write(planes)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnownServer]:
    """A real ``python app.py`` on a fresh SQLite database."""
    chromium_path()
    srv = start_server(Path(tmp_path_factory.mktemp("camera-server")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def door(server: KnownServer) -> dict[str, Any]:
    """The seeded event, list, staff and attendees."""
    return seed_door(server, slug="cameraconf")


def test_the_camera_reads_a_badge_and_checks_the_attendee_in(
    server: KnownServer, door: dict[str, Any], tmp_path: Path, playwright: Any
) -> None:
    priya = door["attendees"][3]
    video = write_y4m(tmp_path / "badge.y4m", priya["url"])
    errors: list[str] = []
    pw = playwright  # the session's one Playwright instance (tests/conftest.py)
    browser = pw.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(**PHONE)
        context.set_default_timeout(15_000)
        page = log_in(context, server, "sam@door.example.org")
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(scanner_url(server, door))
        page.get_by_role("button", name="Start camera").click()
        page.locator("#camera[data-state='on']").wait_for()
        assert page.locator("#camera").get_attribute("data-decoder") in (
            "jsQR",
            "BarcodeDetector",
        )
        page.locator("#result[data-kind='ok']", has_text="Welcome, Priya Raman").wait_for()
        assert page.locator("#result-name").inner_text() == "Nimbus"

        staff_id = door["staff"]["sam@door.example.org"]
        assert db_rows(
            server,
            "SELECT attendee_id, staff_id FROM check_in WHERE undone_at IS NULL",
        ) == [(priya["id"], staff_id)]
        # The badge stays in view for seconds (the video loops): it is read many times,
        # but one scan reached the server.
        page.wait_for_timeout(3_000)
        assert db_rows(server, "SELECT attendee_id, code FROM scan") == [(priya["id"], "ok")]
        assert page.locator("#result").get_attribute("data-kind") == "ok"

        page.get_by_role("button", name="Stop camera").click()
        page.locator("#camera[data-state='off']").wait_for()
        assert errors == []
    finally:
        browser.close()


def badge_photo(path: Path, text: str) -> Path:
    """Something like a phone photo of a badge: a large JPEG, the QR small in it, off-centre."""
    qr = qrcode.make(text, border=4).get_image().convert("RGB").resize((520, 520))
    photo = Image.new("RGB", (2400, 1800), (196, 190, 180))
    card = Image.new("RGB", (760, 1000), "white")
    card.paste(qr, (120, 360))
    photo.paste(card.rotate(4, expand=True, fillcolor=(196, 190, 180)), (1300, 300))
    photo.save(path, "JPEG", quality=82)
    return path


def test_a_photo_of_a_badge_checks_the_attendee_in(
    server: KnownServer, door: dict[str, Any], tmp_path: Path, playwright: Any
) -> None:
    aiko = door["attendees"][2]
    photo = badge_photo(tmp_path / "badge.jpg", aiko["url"])
    pw = playwright  # the session's one Playwright instance (tests/conftest.py)
    browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(**PHONE)
        context.set_default_timeout(15_000)
        page = log_in(context, server, "lee@door.example.org")
        page.goto(scanner_url(server, door))
        page.locator("#photo").set_input_files(str(photo))
        result = page.locator("#result[data-kind='ok']", has_text="Welcome, Aiko Tanaka")
        result.wait_for()
        lee_id = door["staff"]["lee@door.example.org"]
        assert db_rows(
            server, "SELECT staff_id FROM check_in WHERE attendee_id = ?", aiko["id"]
        ) == [(lee_id,)]

        # A photo without a QR code says so, and checks nobody in.
        blank = tmp_path / "blank.jpg"
        Image.new("RGB", (1200, 900), (200, 200, 200)).save(blank, "JPEG")
        page.locator("#photo").set_input_files(str(blank))
        page.locator("#result[data-kind='bad']", has_text="No QR code found").wait_for()
        assert db_rows(server, "SELECT count(*) FROM scan WHERE staff_id = ?", lee_id) == [(1,)]
    finally:
        browser.close()
