"""The manage page as a person uses it, in chromium: what they tick is what is stored, and stays ticked."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from incidents.models import Component, ComponentGroup
from notifications.delivery import subscriber_links
from notifications.models import Subscriber
from tests.fakes.browser import ARTIFACTS, needs_chromium

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]

SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
EVERY = "Every component"
ONLY = "Only the components I pick"


@pytest.fixture
def components() -> dict[str, Component]:
    queue = ComponentGroup.objects.create(name="Message queue", position=1)
    data = ComponentGroup.objects.create(name="Data stores", position=2)
    return {
        c.name: c
        for c in [
            Component.objects.create(name="Message queue eu-west", group=queue, position=1),
            Component.objects.create(name="Message queue us-east", group=queue, position=2),
            Component.objects.create(name="Cache", group=data, position=1),
            Component.objects.create(name="Public API", position=1),
        ]
    }


def manage_page(subscriber: Subscriber, live_server) -> str:
    """The subscriber's manage link, on the test's live server."""
    return live_server.url + urlsplit(subscriber_links.manage_url(subscriber)).path


def stored(subscriber: Subscriber) -> tuple[bool, set[str]]:
    subscriber.refresh_from_db()
    return subscriber.all_components, set(subscriber.components.values_list("name", flat=True))


def ticked(page, components) -> set[str]:
    return {name for name in components if page.get_by_label(name, exact=True).is_checked()}


def save(page) -> None:
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Saved.")


@pytest.mark.parametrize("screen", SCREENS)
def test_ticking_one_component_saves_it_and_it_is_still_ticked_after_a_reload(
    live_server, browser, components, screen
):
    person = Subscriber.objects.create(email="reader@example.com", email_confirmed_at=timezone.now())
    url = manage_page(person, live_server)
    page = browser.new_page(viewport=SCREENS[screen])
    page.goto(url)
    assert page.get_by_label(EVERY).is_checked()

    # One component, not a whole group, straight from "Every component".
    page.get_by_label("Cache", exact=True).check()
    save(page)

    assert stored(person) == (False, {"Cache"})
    page.goto(url)
    assert page.get_by_label(ONLY).is_checked()
    assert ticked(page, components) == {"Cache"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"manage-one-component-{screen}.png"), full_page=True)

    # A whole group, then one of its components unticked again.
    page.get_by_label("Message queue (all)").check()
    assert ticked(page, components) == {"Cache", "Message queue eu-west", "Message queue us-east"}
    page.get_by_label("Message queue us-east", exact=True).uncheck()
    assert not page.get_by_label("Message queue (all)").is_checked()
    save(page)

    assert stored(person) == (False, {"Cache", "Message queue eu-west"})
    page.goto(url)
    assert ticked(page, components) == {"Cache", "Message queue eu-west"}
    assert not page.get_by_label("Message queue (all)").is_checked()

    # Every component again: the picks are forgotten, and the page says so.
    page.get_by_label(EVERY).check()
    save(page)

    assert stored(person) == (True, set())
    page.goto(url)
    assert page.get_by_label(EVERY).is_checked()
    assert ticked(page, components) == set()


def test_a_group_whose_components_are_all_picked_shows_ticked_and_unticking_it_clears_them(
    live_server, browser, components
):
    person = Subscriber.objects.create(
        email="reader@example.com", email_confirmed_at=timezone.now(), all_components=False
    )
    person.components.set([components["Message queue eu-west"], components["Message queue us-east"]])
    page = browser.new_page(viewport=SCREENS["phone"])
    page.goto(manage_page(person, live_server))

    assert page.get_by_label("Message queue (all)").is_checked()
    page.get_by_label("Message queue (all)").uncheck()
    page.get_by_label("Public API", exact=True).check()
    save(page)

    assert stored(person) == (False, {"Public API"})
