"""The push button in chromium: shown where push works, no CSP violation, and its worker installs.

Headless chromium has no push service, so the subscription itself is not made here (the delivery
tests make it with the loopback push service instead).
"""

from __future__ import annotations

import pytest

from tests.fakes.browser import needs_chromium

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/", "/subscribe/"])
def test_the_button_shows_breaks_no_policy_and_its_service_worker_activates(live_server, browser, path):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else None)
    page.goto(live_server.url + path)
    page.wait_for_load_state("load")

    button = page.get_by_role("button", name="Notify me in this browser")
    button.wait_for(state="visible", timeout=5000)
    worker = page.evaluate(
        """async () => {
            const box = document.querySelector("[data-push-subscribe]");
            const registration = await navigator.serviceWorker.register(box.dataset.worker);
            const worker = registration.installing || registration.waiting || registration.active;
            if (worker.state !== "activated") {
                await new Promise(resolve => worker.addEventListener("statechange", () => {
                    if (worker.state === "activated") resolve();
                }));
            }
            return {scope: registration.scope, push: "pushManager" in registration};
        }"""
    )
    assert worker == {"scope": live_server.url + "/static/", "push": True}
    settings_answer = page.evaluate("fetch('/subscribe/push/').then(r => r.json())")
    assert settings_answer["vapid_public_key"] and settings_answer["csrf_token"]
    assert violations == []
    context.close()
