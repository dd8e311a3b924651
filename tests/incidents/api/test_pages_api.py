"""Pages in the staff API: staff limited to pages, the page filter, and attaching incidents to pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import AuditEntry, Component, Incident, PageComponent, StatusPage
from incidents.timeline.incident_lifecycle import declare_incident

pytestmark = pytest.mark.django_db


def token_client(name: str, *pages: StatusPage) -> APIClient:
    user = get_user_model().objects.create_user(name, f"{name}@example.com")
    user.groups.add(Group.objects.get(name="Responder"))
    for page in pages:
        page.staff.add(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def world(group):
    shop_db = Component.objects.create(name="Shop database", group=group)
    wiki = Component.objects.create(name="Internal wiki", group=group)
    shop = StatusPage.objects.create(name="Shop", slug="shop")
    internal = StatusPage.objects.create(name="Internal", slug="internal", access="staff")
    PageComponent.objects.create(page=shop, component=shop_db)
    PageComponent.objects.create(page=internal, component=wiki)
    on_shop = declare_incident("Checkout slow", "Looking.", "investigating", {shop_db.pk: "partial_outage"})
    on_internal = declare_incident("Wiki down", "Looking.", "investigating", {wiki.pk: "major_outage"})
    return {
        "shop": shop,
        "internal": internal,
        "shop_db": shop_db,
        "wiki": wiki,
        "on_shop": on_shop,
        "on_internal": on_internal,
        "rene": token_client("rene", shop),
        "mia": token_client("mia"),
    }


def names(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {incident["name"] for incident in response.json()["results"]}


def test_a_limited_responder_lists_only_their_pages_incidents(world):
    assert names(world["rene"].get("/api/v1/incidents/")) == {"Checkout slow"}
    assert names(world["mia"].get("/api/v1/incidents/")) == {"Checkout slow", "Wiki down"}
    components = world["rene"].get("/api/v1/components/").json()["results"]
    assert [c["name"] for c in components] == ["Shop database"]


def test_another_pages_incident_is_a_404_in_the_api(world):
    rene, other = world["rene"], world["on_internal"].pk

    assert rene.get(f"/api/v1/incidents/{other}/").status_code == 404
    assert rene.patch(f"/api/v1/incidents/{other}/", {"name": "Mine now"}, format="json").status_code == 404
    update = {"status": "identified", "body": "Found it."}
    assert rene.post(f"/api/v1/incidents/{other}/updates/", update, format="json").status_code == 404
    assert rene.get(f"/api/v1/incidents/{other}/updates/").status_code == 404
    assert rene.post(f"/api/v1/incidents/{other}/publish/").status_code == 404
    wiki = world["wiki"].pk
    assert (
        rene.patch(f"/api/v1/components/{wiki}/", {"status": "operational"}, format="json").status_code == 404
    )
    assert Incident.objects.get(pk=other).name == "Wiki down"


def test_a_limited_responder_cannot_declare_on_another_pages_component(world):
    payload = {
        "name": "Wiki slow",
        "status": "investigating",
        "body": "Looking.",
        "components": {str(world["wiki"].pk): "degraded_performance"},
    }
    response = world["rene"].post("/api/v1/incidents/", payload, format="json")

    assert response.status_code == 400
    assert "not on your pages" in str(response.json()["components"])
    assert not Incident.objects.filter(name="Wiki slow").exists()


def test_the_page_filter_lists_one_pages_incidents(world):
    mia = world["mia"]
    assert names(mia.get("/api/v1/incidents/", {"status_page": "internal"})) == {"Wiki down"}
    assert names(mia.get("/api/v1/incidents/", {"status_page": "shop"})) == {"Checkout slow"}
    assert mia.get("/api/v1/incidents/", {"status_page": "nope"}).status_code == 400
    # A page the user may not touch is as unknown as one that does not exist.
    assert world["rene"].get("/api/v1/incidents/", {"status_page": "internal"}).status_code == 400


def test_a_general_incident_is_attached_to_pages_by_slug(world):
    general = {"name": "Emails late", "status": "investigating", "body": "Some emails arrive late."}
    rene = world["rene"]

    refused = rene.post("/api/v1/incidents/", general, format="json")
    assert refused.status_code == 400 and "pages" in refused.json()
    other = rene.post("/api/v1/incidents/", {**general, "pages": ["internal"]}, format="json")
    assert other.status_code == 400 and "Unknown page(s): internal." in str(other.json())

    response = rene.post("/api/v1/incidents/", {**general, "pages": ["shop"]}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["pages"] == ["shop"]
    incident = Incident.objects.get(name="Emails late")
    assert list(incident.pages.all()) == [world["shop"]]
    assert names(rene.get("/api/v1/incidents/", {"status_page": "shop"})) >= {"Emails late"}


def test_patching_pages_replaces_only_the_pages_the_user_may_touch(world):
    incident = declare_incident(
        "Emails late", "Late.", "investigating", {}, pages=[world["shop"], world["internal"]]
    )
    rene, mia = world["rene"], world["mia"]
    assert rene.get(f"/api/v1/incidents/{incident.pk}/").json()["pages"] == ["shop"]

    main = StatusPage.objects.get(is_default=True)
    response = mia.patch(f"/api/v1/incidents/{incident.pk}/", {"pages": [main.slug]}, format="json")
    assert response.status_code == 200 and response.json()["pages"] == [main.slug]
    entry = AuditEntry.objects.filter(action="incident.edited", target_id=str(incident.pk)).get()
    assert entry.before["pages"] == ["internal", "shop"] and entry.after["pages"] == [main.slug]

    incident.pages.set([world["shop"], world["internal"]])
    response = rene.patch(f"/api/v1/incidents/{incident.pk}/", {"pages": []}, format="json")
    assert response.status_code == 400 and "off all your pages" in str(response.json())
    assert set(incident.pages.values_list("slug", flat=True)) == {"shop", "internal"}

    outage = world["on_shop"]
    outage.pages.set([world["internal"]])
    response = rene.patch(f"/api/v1/incidents/{outage.pk}/", {"pages": ["shop"]}, format="json")
    assert response.status_code == 200 and response.json()["pages"] == ["shop"]
    assert set(outage.pages.values_list("slug", flat=True)) == {"shop", "internal"}
