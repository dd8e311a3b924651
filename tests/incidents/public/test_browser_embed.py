"""The status embed the way a site meets it: a page of another origin with the one <script> tag, in chromium.

The site is a stdlib HTTP server on loopback (127.0.0.1, another port and another site than the live
server's localhost). The iframe stays hidden with nothing active, appears after an incident is
declared, goes on dismiss and after the incident is resolved; statusEmbedTest() shows it; the frame
breaks no policy. Screenshots at desktop and phone size go to artifacts/embed/.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidents.models import Component, ComponentStatus, IncidentStatus
from incidents.timeline.incident_lifecycle import declare_incident, post_update
from tests.fakes.browser import ARTIFACTS, needs_chromium

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "embed"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
EMBED = "iframe[data-status-embed]"
SITE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Example shop</title></head>
<body><h1>Example shop</h1><p>Someone else's site, which includes the status embed.</p>
<script src="{src}"></script>
</body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_site(tmp_path, live_server):
    """A site of another origin serving pages that include the embed with some options."""
    pages = {
        "index.html": "",
        "top-right.html": "?position=top-right&incident_background_color=b91c1c",
    }
    for name, query in pages.items():
        (tmp_path / name).write_text(SITE.format(src=f"{live_server.url}/embed/script.js{query}"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def checkout(transactional_db) -> Component:
    return Component.objects.create(name="Checkout")


def declare(component: Component, name: str = "Checkout is failing"):
    return declare_incident(
        name,
        "Payments fail for some customers; we are looking into it.",
        IncidentStatus.INVESTIGATING,
        {component.pk: ComponentStatus.MAJOR_OUTAGE},
    )


def open_site(context, url: str, violations: list[str]):
    page = context.new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else None)
    page.goto(url)
    frame = page.wait_for_selector(EMBED, state="attached").content_frame()
    frame.wait_for_load_state("load")
    # The frame posts as it loads; give a message in flight time to land before checking it is hidden.
    page.wait_for_timeout(300)
    return page, frame


def reload(page):
    """Load the site again as a visitor does once the frame's few seconds of caching are over."""
    session = page.context.new_cdp_session(page)
    session.send("Network.clearBrowserCache")
    session.detach()
    page.reload()
    frame = page.wait_for_selector(EMBED, state="attached").content_frame()
    frame.wait_for_load_state("load")
    page.wait_for_timeout(300)
    return frame


def test_embed_appears_during_an_incident_and_goes_after_it(live_server, browser, other_site, checkout):
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP)
    page, frame = open_site(context, other_site + "/index.html", violations)
    embed = page.locator(EMBED)
    assert embed.is_hidden()
    assert page.evaluate("typeof window.statusEmbedTest") == "function"
    assert frame.url.startswith(live_server.url + "/embed/frame?")

    # statusEmbedTest() shows the frame now, with its test card.
    page.evaluate("window.statusEmbedTest()")
    embed.wait_for(state="visible")
    assert frame.text_content(".embed-kind") == "Status embed test"
    page.wait_for_timeout(400)  # past the transition
    page.screenshot(path=str(SHOTS / "test-desktop.png"))

    incident = declare(checkout)
    frame = reload(page)
    embed.wait_for(state="visible")
    assert "Checkout is failing" in frame.inner_text("h1")
    assert frame.get_attribute("h1 a", "href") == f"/incidents/{incident.pk}/"
    box = embed.bounding_box()
    assert box["x"] < 100 and box["y"] + box["height"] > DESKTOP["height"] - 100  # bottom-left
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / "incident-desktop.png"))

    # Dismissed, it stays away for this update; a later update brings it back.
    frame.click(".embed-dismiss")
    embed.wait_for(state="hidden")
    reload(page)
    assert embed.is_hidden()
    post_update(incident, IncidentStatus.IDENTIFIED, "A bad deploy; rolling back.")
    frame = reload(page)
    embed.wait_for(state="visible")
    assert "rolling back" in frame.inner_text("body")

    post_update(incident, IncidentStatus.RESOLVED, "Payments work again.")
    reload(page)
    assert embed.is_hidden()
    context.close()
    assert violations == []


def test_embed_options_and_phone_layout(live_server, browser, other_site, checkout):
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations: list[str] = []
    declare(checkout, name="Slow checkout pages")

    context = browser.new_context(viewport=DESKTOP)
    page, frame = open_site(context, other_site + "/top-right.html", violations)
    embed = page.locator(EMBED)
    embed.wait_for(state="visible")
    page.wait_for_timeout(400)
    box = embed.bounding_box()
    assert box["x"] + box["width"] > DESKTOP["width"] - 100 and box["y"] < 100  # top-right
    # The colour option, applied by the frame's own script (no inline style under its CSP).
    assert frame.eval_on_selector("body", "b => getComputedStyle(b).backgroundColor") == "rgb(185, 28, 28)"
    assert frame.eval_on_selector("body", "b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    page.screenshot(path=str(SHOTS / "top-right-coloured-desktop.png"))
    context.close()

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page, frame = open_site(context, other_site + "/top-right.html", violations)
    embed = page.locator(EMBED)
    embed.wait_for(state="visible")
    page.wait_for_timeout(400)
    box = embed.bounding_box()
    # Full width along the bottom on a phone, whatever the position.
    assert box["x"] == 0 and box["width"] == PHONE["width"]
    assert box["y"] + box["height"] == PHONE["height"]
    assert "mobile=true" in frame.url
    page.screenshot(path=str(SHOTS / "incident-phone.png"))
    page.close()
    page, frame = open_site(context, other_site + "/index.html", violations)
    page.locator(EMBED).wait_for(state="visible")
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / "incident-phone-default-colours.png"))
    context.close()
    assert violations == []
