"""Live pages stay live on networks that refuse WebSockets (some venue Wi-Fi, some proxies)."""

from typing import Any

import pytest

pytestmark = pytest.mark.browser

# What the browser does when a network refuses the WebSocket: the connection errors, then
# closes. Installed before any page script, so socket.io-client only ever gets this one.
REFUSING_WEBSOCKET = """
window.__refusedWebSockets = [];
window.WebSocket = class RefusedWebSocket {
  constructor(url) {
    window.__refusedWebSockets.push(String(url));
    this.readyState = 0;
    setTimeout(() => {
      this.readyState = 3;
      if (this.onerror) this.onerror(new Event("error"));
      if (this.onclose) this.onclose(new CloseEvent("close", { code: 1006 }));
    }, 20);
  }
  send() { throw new Error("not open"); }
  close() {}
};
"""


def test_a_live_page_falls_back_to_long_polling_when_websockets_are_refused(
    known_server: Any, phone: Any
) -> None:
    phone.add_init_script(REFUSING_WEBSOCKET)
    page = phone.new_page()
    polled: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if "transport=polling" in r.url else None)
    page.goto(known_server.url + "/e/demo/screen")
    # The projector's screen joins its event over long-polling and says it is live.
    page.locator("[data-live].is-live").wait_for()
    assert page.evaluate("window.__refusedWebSockets.length") >= 1
    assert polled and all("k=" in url for url in polled)  # still sticky behind nginx
