"""Pages for staff: Admins manage them in the admin (audited); staff named on pages see only those."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import AuditEntry, Component, Incident, PageComponent, PageHost, StatusPage
from incidents.models.pages import IMAGE_LIMIT
from incidents.public.access_keys import share_link
from incidents.timeline.incident_lifecycle import declare_incident
from statuspage.staff import ensure_roles

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def staff(role: str, name: str, **extra):
    user = get_user_model().objects.create_user(name, password="pw-for-tests-only", **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def world(group):
    shop_db = Component.objects.create(name="Shop database", group=group)
    wiki = Component.objects.create(name="Internal wiki", group=group)
    shop = StatusPage.objects.create(name="Shop", slug="shop")
    internal = StatusPage.objects.create(name="Internal", slug="internal", access="staff")
    PageComponent.objects.create(page=shop, component=shop_db)
    PageComponent.objects.create(page=internal, component=wiki)
    on_shop = declare_incident(
        "Checkout slow", "Looking.", "investigating", {shop_db.pk: "degraded_performance"}
    )
    on_internal = declare_incident("Wiki down", "Looking.", "investigating", {wiki.pk: "major_outage"})
    rene = staff("Responder", "rene")
    shop.staff.add(rene)
    return {
        "shop": shop,
        "internal": internal,
        "shop_db": shop_db,
        "wiki": wiki,
        "on_shop": on_shop,
        "on_internal": on_internal,
        "rene": rene,
    }


def page_form(**changes) -> dict:
    data = {
        "name": "Shop EU",
        "slug": "shop-eu",
        "position": "0",
        "accent_colour": "#1f6feb",
        "footer_links": "Privacy | https://example.com/privacy",
        "custom_css": "",
        "time_zone": "Europe/Paris",
        "support_url": "",
        "access": "public",
        "allowed_email_domains": "",
        "allowed_emails": "",
        "allowed_networks": "",
        "hosts-TOTAL_FORMS": "1",
        "hosts-INITIAL_FORMS": "0",
        "hosts-MIN_NUM_FORMS": "0",
        "hosts-MAX_NUM_FORMS": "1000",
        "hosts-0-host": "Status.Example.com",
        "placements-TOTAL_FORMS": "0",
        "placements-INITIAL_FORMS": "0",
        "placements-MIN_NUM_FORMS": "0",
        "placements-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


@pytest.fixture
def admin_client(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "status.example.com", ".example.org"]
    client.force_login(staff("Admin", "ada", is_staff=True))
    return client


def test_the_admin_role_may_manage_pages():
    ensure_roles()
    perms = set(Group.objects.get(name="Admin").permissions.values_list("codename", flat=True))
    assert {"add_statuspage", "change_statuspage", "delete_statuspage", "add_pagehost"} <= perms
    assert {"add_pagecomponent", "change_pagecomponent"} <= perms
    responder = set(Group.objects.get(name="Responder").permissions.values_list("codename", flat=True))
    assert "change_statuspage" not in responder


def test_an_admin_creates_a_page_with_hosts_and_components_and_the_audit_log_records_it(admin_client, world):
    data = page_form(
        **{
            "placements-TOTAL_FORMS": "1",
            "placements-0-component": str(world["shop_db"].pk),
            "placements-0-group": "",
            "placements-0-position": "3",
            "staff": [str(world["rene"].pk)],
        }
    )
    response = admin_client.post("/admin/incidents/statuspage/add/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    page = StatusPage.objects.get(slug="shop-eu")
    assert list(page.hosts.values_list("host", flat=True)) == ["status.example.com"]
    assert list(page.components.all()) == [world["shop_db"]]
    assert list(page.staff.all()) == [world["rene"]]
    entry = AuditEntry.objects.get(action="admin.statuspage.added", target_id=str(page.pk))
    assert entry.actor.username == "ada"
    assert entry.after["hosts"] == ["status.example.com"]
    assert entry.after["components"] == [{"component": "Shop database", "group": None, "position": 3}]
    assert entry.after["staff"] == ["rene"] and entry.after["share_key"] == "(hidden)"
    assert admin_client.get("/console/audit/").content.decode().count("admin.statuspage.added") == 1


def test_a_host_not_in_allowed_hosts_is_refused_with_the_way_out(admin_client, world):
    response = admin_client.post(
        "/admin/incidents/statuspage/add/", page_form(**{"hosts-0-host": "status.other.net"})
    )

    assert response.status_code == 200
    assert "add it to the ALLOWED_HOSTS setting" in response.content.decode()
    assert not StatusPage.objects.filter(slug="shop-eu").exists()
    assert not PageHost.objects.exists()


def test_a_subdomain_wildcard_in_allowed_hosts_lets_its_hosts_in(admin_client, world):
    response = admin_client.post(
        "/admin/incidents/statuspage/add/", page_form(**{"hosts-0-host": "status.example.org"})
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "upload, error",
    [
        (SimpleUploadedFile("logo.png", b"MZ\x90\x00 not an image", "image/png"), "none of these"),
        (SimpleUploadedFile("logo.png", PNG + b"\x00" * IMAGE_LIMIT, "image/png"), "At most"),
        (
            SimpleUploadedFile(
                "logo.svg", b'<svg xmlns="x"><script>alert(1)</script></svg>', "image/svg+xml"
            ),
            "script",
        ),
    ],
    ids=["not an image", "too large", "svg with a script"],
)
def test_a_logo_that_is_not_a_small_image_is_refused(admin_client, world, upload, error):
    response = admin_client.post("/admin/incidents/statuspage/add/", {**page_form(), "logo_upload": upload})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not StatusPage.objects.filter(slug="shop-eu").exists()


def test_a_logo_is_stored_with_the_type_its_bytes_show_and_can_be_removed(admin_client, world):
    upload = SimpleUploadedFile("logo.gif", PNG, "image/gif")
    response = admin_client.post("/admin/incidents/statuspage/add/", {**page_form(), "logo_upload": upload})
    assert response.status_code == 302
    page = StatusPage.objects.get(slug="shop-eu")
    assert bytes(page.logo) == PNG and page.logo_type == "image/png"

    data = page_form(**{"hosts-INITIAL_FORMS": "1", "hosts-0-id": str(page.hosts.get().pk)})
    data["hosts-0-page"] = str(page.pk)
    response = admin_client.post(
        f"/admin/incidents/statuspage/{page.pk}/change/", {**data, "remove_logo": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    page.refresh_from_db()
    assert bytes(page.logo) == b"" and page.logo_type == ""


def test_a_password_page_needs_a_password_and_stores_only_its_hash(admin_client, world):
    response = admin_client.post("/admin/incidents/statuspage/add/", page_form(access="password"))
    assert response.status_code == 200 and "A password page needs a password." in response.content.decode()

    response = admin_client.post(
        "/admin/incidents/statuspage/add/", page_form(access="password", new_password="open sesame")
    )
    assert response.status_code == 302
    page = StatusPage.objects.get(slug="shop-eu")
    assert check_password("open sesame", page.password_hash)
    entry = AuditEntry.objects.get(action="admin.statuspage.added")
    assert entry.after["password_hash"] == "(hidden)" and "open sesame" not in str(entry.after)

    change = admin_client.get(f"/admin/incidents/statuspage/{page.pk}/change/").content.decode()
    assert "Share link" in change and page.password_hash not in change
    assert share_link(page) in change

    data = {**page_form(access="password", rotate_share_key="on"), "hosts-INITIAL_FORMS": "1"}
    data.update({"hosts-0-id": str(page.hosts.get().pk), "hosts-0-page": str(page.pk)})
    old_key, old_hash = page.share_key, page.password_hash
    response = admin_client.post(f"/admin/incidents/statuspage/{page.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page.refresh_from_db()
    assert page.share_key != old_key and page.password_hash == old_hash, "a blank password keeps it"
    entry = AuditEntry.objects.get(action="admin.statuspage.changed")
    assert entry.after["share_key"] == "(changed)" and entry.after["password_hash"] == "(hidden)"


def test_the_default_page_cannot_be_deleted(admin_client, world):
    default = StatusPage.objects.get(is_default=True)
    assert admin_client.get(f"/admin/incidents/statuspage/{default.pk}/delete/").status_code == 403
    response = admin_client.post(
        "/admin/incidents/statuspage/",
        {"action": "delete_selected", "_selected_action": [default.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert StatusPage.objects.filter(pk=default.pk).exists()


def test_a_page_made_default_takes_over_from_the_old_one(admin_client, world):
    response = admin_client.post("/admin/incidents/statuspage/add/", page_form(is_default="on"))
    assert response.status_code == 302
    assert list(StatusPage.objects.filter(is_default=True).values_list("slug", flat=True)) == ["shop-eu"]
    assert AuditEntry.objects.filter(action="admin.statuspage.changed", after={"is_default": False}).exists()


# --- Staff limited to pages


def test_a_limited_responder_sees_only_their_pages_incidents(client, world):
    client.force_login(world["rene"])
    body = client.get("/console/").content.decode()

    assert "Checkout slow" in body and "Shop database" in body
    assert "Wiki down" not in body and "Internal wiki" not in body


def test_another_pages_incident_is_a_404_to_a_limited_responder(client, world):
    client.force_login(world["rene"])
    other = world["on_internal"].pk

    assert client.get(f"/console/incidents/{other}/").status_code == 404
    update = {"status": "identified", "body": "Found it."}
    assert client.post(f"/console/incidents/{other}/update/", update).status_code == 404
    assert client.post(f"/console/incidents/{other}/publish/").status_code == 404
    assert (
        client.post(f"/console/components/{world['wiki'].pk}/status/", {"status": "operational"}).status_code
        == 404
    )
    assert client.get(f"/console/incidents/{world['on_shop'].pk}/").status_code == 200
    assert Incident.objects.get(pk=other).updates.count() == 1


def test_a_limited_responder_cannot_declare_on_another_pages_component(client, world):
    client.force_login(world["rene"])
    page = client.get("/console/incidents/new/").content.decode()
    assert "Shop database" in page and "Internal wiki" not in page

    data = {"name": "Wiki slow", "status": "investigating", "body": "Looking.", "publish": "on"}
    response = client.post(
        "/console/incidents/new/", {**data, f"component_{world['wiki'].pk}": "degraded_performance"}
    )

    assert response.status_code == 400
    assert "not on your pages" in response.content.decode()
    assert not Incident.objects.filter(name="Wiki slow").exists()


def test_a_limited_responders_general_incident_must_name_one_of_their_pages(client, world):
    client.force_login(world["rene"])
    data = {"name": "Emails late", "status": "investigating", "body": "Looking.", "publish": "on"}

    assert client.post("/console/incidents/new/", data).status_code == 400
    assert (
        client.post("/console/incidents/new/", {**data, "pages": [world["internal"].pk]}).status_code == 400
    )
    response = client.post("/console/incidents/new/", {**data, "pages": [world["shop"].pk]})

    assert response.status_code == 302
    incident = Incident.objects.get(name="Emails late")
    assert list(incident.pages.all()) == [world["shop"]]
    assert AuditEntry.objects.get(action="incident.declared", target_id=str(incident.pk)).after["pages"] == [
        "shop"
    ]


def test_staff_named_on_no_page_see_everything_and_pick_a_page(client, world):
    client.force_login(staff("Responder", "mia"))
    body = client.get("/console/").content.decode()
    assert "Checkout slow" in body and "Wiki down" in body
    assert 'name="page"' in body and 'value="internal"' in body

    only_internal = client.get("/console/", {"page": "internal"}).content.decode()
    assert "Wiki down" in only_internal and "Checkout slow" not in only_internal
    assert "Shop database" not in only_internal


def test_a_limited_responder_cannot_pick_another_page(client, world):
    client.force_login(world["rene"])
    body = client.get("/console/", {"page": "internal"}).content.decode()
    assert "Wiki down" not in body and "Checkout slow" in body
