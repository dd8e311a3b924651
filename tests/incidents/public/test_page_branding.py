"""Each page wears its own brand: name, components, accent colour, logo, favicon, footer links, time zone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.models import (
    Component,
    Incident,
    PageComponent,
    PageHost,
    StatusPage,
)
from incidents.models.pages import CUSTOM_CSS_LIMIT
from incidents.public.branding import SVG_POLICY, brand_css_text, footer_links
from incidents.timeline.incident_lifecycle import open_incident

pytestmark = pytest.mark.django_db

SHOP, PAY = "status.shop.example", "status.pay.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'


@pytest.fixture
def branded(settings):
    """Two public pages on their own hosts, each with one component and a brand of its own."""
    settings.ALLOWED_HOSTS = ["testserver", SHOP, PAY]
    checkout = Component.objects.create(name="Checkout")
    cards = Component.objects.create(name="Card payments")
    shop = StatusPage.objects.create(
        name="Shop status",
        slug="shop",
        accent_colour="#aa3377",
        custom_css=".banner { letter-spacing: .02em; }",
        logo=PNG,
        logo_type="image/png",
        favicon=PNG,
        favicon_type="image/png",
        footer_links="Shop home | https://shop.example/\nTerms | /terms/",
        support_url="https://help.shop.example/",
    )
    pay = StatusPage.objects.create(
        name="Payments status",
        slug="pay",
        accent_colour="#0b7a4b",
        logo=SVG,
        logo_type="image/svg+xml",
        footer_links="Pay docs | https://docs.pay.example/",
        time_zone="Asia/Tokyo",
    )
    for page, host, component in ((shop, SHOP, checkout), (pay, PAY, cards)):
        PageHost.objects.create(page=page, host=host)
        PageComponent.objects.create(page=page, component=component)
    return shop, pay


def html_of(client, path="/", **headers) -> str:
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_each_host_wears_its_own_brand_and_not_the_others(client, branded):
    shop = html_of(client, HTTP_HOST=SHOP)
    pay = html_of(client, HTTP_HOST=PAY)

    assert "<title>Shop status</title>" in shop and "Checkout" in shop
    assert '<img class="logo" src="/brand/logo?v=' in shop and 'alt="Shop status"' in shop
    assert '<link rel="stylesheet" href="/brand.css?v=' in shop
    assert '<link rel="icon" type="image/png" href="/brand/favicon?v=' in shop
    assert '<a href="https://shop.example/">Shop home</a>' in shop and '<a href="/terms/">Terms</a>' in shop
    assert '<a href="https://help.shop.example/">Support</a>' in shop
    for word in ("Payments status", "Card payments", "Pay docs", "#0b7a4b"):
        assert word not in shop

    assert "<title>Payments status</title>" in pay and "Card payments" in pay
    assert 'alt="Payments status"' in pay and '<a href="https://docs.pay.example/">Pay docs</a>' in pay
    assert "favicon.svg" in pay  # no favicon of its own: the site's
    assert ">Support</a>" not in pay
    for word in ("Shop status", "Checkout", "Shop home", "Terms"):
        assert word not in pay

    assert (
        client.get("/brand.css", HTTP_HOST=SHOP).content.decode().startswith(":root { --accent: #aa3377; }")
    )
    assert "--accent: #0b7a4b" in client.get("/brand.css", HTTP_HOST=PAY).content.decode()


def test_a_page_without_a_brand_links_no_brand_files(client, branded):
    html = html_of(client)  # the default page: no accent, no CSS, no logo, no links
    assert "brand.css" not in html and "brand/logo" not in html and "brand/favicon" not in html
    assert "favicon.svg" in html and "footer-links" not in html and ">Support</a>" not in html
    assert client.get("/brand/logo").status_code == 404
    assert client.get("/brand/favicon").status_code == 404
    assert client.get("/brand.css").content == b""


@pytest.mark.parametrize("prefix, host", [("", SHOP), ("/p/shop", "testserver")])
def test_brand_files_are_served_at_the_pages_host_and_under_its_slug(client, branded, prefix, host):
    css = client.get(f"{prefix}/brand.css", HTTP_HOST=host)
    assert css.status_code == 200 and css["Content-Type"] == "text/css; charset=utf-8"
    assert "--accent: #aa3377" in css.content.decode() and "letter-spacing" in css.content.decode()
    assert css["ETag"] and css["Last-Modified"] and "max-age=" in css["Cache-Control"]
    assert css["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"{prefix}/brand.css", HTTP_HOST=host, HTTP_IF_NONE_MATCH=css["ETag"])
    assert again.status_code == 304

    logo = client.get(f"{prefix}/brand/logo", HTTP_HOST=host)
    assert (logo.status_code, logo["Content-Type"], logo.content) == (200, "image/png", PNG)
    favicon = client.get(f"{prefix}/brand/favicon", HTTP_HOST=host)
    assert (favicon.status_code, favicon["Content-Type"], favicon.content) == (200, "image/png", PNG)


def test_links_under_the_slug_point_at_its_brand_files(client, branded):
    html = html_of(client, "/p/shop/")
    assert 'href="/p/shop/brand.css?v=' in html and 'src="/p/shop/brand/logo?v=' in html


def test_a_brand_change_changes_the_etag(client, branded):
    shop, _ = branded
    before = client.get("/brand.css", HTTP_HOST=SHOP)["ETag"]
    shop.accent_colour = "#112233"
    shop.save()  # through save(): the pages' index is read again
    after = client.get("/brand.css", HTTP_HOST=SHOP, HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200 and after["ETag"] != before
    assert "--accent: #112233" in after.content.decode()


def test_an_svg_logo_is_served_under_a_policy_that_runs_nothing(client, branded):
    for path, host in (("/brand/logo", PAY), ("/p/pay/brand/logo", "testserver")):
        response = client.get(path, HTTP_HOST=host)
        assert response.status_code == 200 and response.content == SVG
        assert response["Content-Type"] == "image/svg+xml"
        assert (
            response["Content-Security-Policy"]
            == SVG_POLICY
            == "default-src 'none'; style-src 'unsafe-inline'"
        )
        assert response["X-Content-Type-Options"] == "nosniff"


def test_custom_css_over_the_limit_is_refused_by_validation(branded):
    shop, _ = branded
    shop.custom_css = "a{}" + " " * CUSTOM_CSS_LIMIT
    with pytest.raises(ValidationError) as error:
        shop.full_clean()
    assert "custom_css" in error.value.message_dict
    shop.custom_css = "a { color: red; }"
    shop.full_clean()


def test_custom_css_cannot_import_or_carry_style_tags(branded):
    shop, _ = branded
    shop.custom_css = (
        '</style><script>alert(1)</script>\n@import url("https://evil.example/x.css");\n'
        "@IMPORT 'local.css' screen;\n.x { color: red; }"
    )
    css = brand_css_text(shop)
    assert "@import" not in css.lower() and "</style" not in css.lower() and "evil.example" not in css
    assert ".x { color: red; }" in css


def test_footer_links_are_parsed_from_label_url_lines_and_bad_lines_skipped(branded):
    shop, _ = branded
    shop.footer_links = "Home | https://a.example/\n\n  Blog|/blog/ \nBad | javascript:alert(1)\n| /nolabel"
    assert [(link.label, link.url) for link in footer_links(shop)] == [
        ("Home", "https://a.example/"),
        ("Blog", "/blog/"),
    ]


def test_server_rendered_times_are_in_the_pages_time_zone(client, branded):
    _, pay = branded
    cards = Component.objects.get(name="Card payments")
    incident = open_incident(Incident(name="Card payments slow"), "Looking into it.", components=[cards])
    html = html_of(client, incident.get_absolute_url(), HTTP_HOST=PAY)
    assert " JST</time>" in html  # Asia/Tokyo's abbreviation, not UTC
    assert " JST</time>" not in html_of(client, "/", HTTP_HOST=SHOP)


def test_every_public_page_renders_without_any_brand(client, db):
    component = Component.objects.create(name="Plain")
    incident = open_incident(Incident(name="Plain trouble"), "Looking.", components=[component])
    for path in (
        "/",
        f"/components/{component.pk}/",
        incident.get_absolute_url(),
        "/history/",
        "/subscribe/",
    ):
        html = html_of(client, path)
        assert "brand.css" not in html and "brand/logo" not in html
    assert client.get("/nope/").status_code == 404


def test_staff_pages_on_a_pages_host_keep_the_installs_zone_and_no_brand(staff_client, branded, settings):
    settings.TIME_ZONE = "Europe/Paris"
    response = staff_client.get(reverse("console-maintenance"), HTTP_HOST=PAY)
    html = response.content.decode()
    assert response.status_code == 200 and "Times are in Europe/Paris." in html
    assert "brand.css" not in html and "brand/logo" not in html
