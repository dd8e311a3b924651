"""Absolute links to a page's own routes, at the page's canonical address (for calendar apps)."""

from __future__ import annotations

from django import template

from incidents.public.page_routing import page_path, page_url

register = template.Library()


@register.simple_tag(takes_context=True)
def page_link(context, name: str, *args) -> str:
    """The absolute URL of one of the page's routes: its first host, else SITE_URL (+ /p/<slug>)."""
    return page_url(context["request"].status_page, page_path(name, *args))


@register.filter
def webcal(url: str) -> str:
    """The same URL for calendar apps to subscribe to (webcal://), from an http(s) one."""
    return "webcal://" + url.split("://", 1)[-1]
