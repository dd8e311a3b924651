"""Route the chat apps' hosts to the loopback webhook receiver: the remote end is faked, our code is not.

Apprise posts with `requests`, to hooks.slack.com, discord.com and Teams' Workflows hosts. Here the
transport adapter rewrites those requests to the receiver's `/slack/...`, `/discord/...` and
`/teams/...` endpoints (tests/fakes/webhook_receiver.py), which answer as each app does; everything
above the socket (our backend, Apprise's payloads, its error handling) runs as in production.

In the test process call `route_to_loopback(base_url)`; a Celery worker gets
CHAT_BACKEND=tests.fakes.chat_apps.LoopbackAppriseBackend and CHAT_LOOPBACK_URL=<base_url>.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter

from notifications.providers.apprise_chat import AppriseBackend

ROUTES = [
    (re.compile(r"^hooks\.slack\.com$"), "/slack"),
    (re.compile(r"^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$"), "/discord"),
    (re.compile(r"\.(?:logic\.azure\.com|api\.powerplatform\.com)$"), "/teams"),
]
_original_send = HTTPAdapter.send
_base: list[str] = []  # the receiver's base URL once routing is on


def _send(adapter, request, *args, **kwargs):
    parts = urlsplit(request.url)
    for host, prefix in ROUTES:
        if _base and host.search(parts.hostname or ""):
            query = f"?{parts.query}" if parts.query else ""
            request.url = f"{_base[0]}{prefix}{parts.path}{query}"
            break
    return _original_send(adapter, request, *args, **kwargs)


def route_to_loopback(base_url: str) -> None:
    """Send every request to a chat app's host to `base_url` instead (until `stop_routing`)."""
    _base[:] = [base_url.rstrip("/")]
    HTTPAdapter.send = _send


def stop_routing() -> None:
    _base.clear()
    HTTPAdapter.send = _original_send


class LoopbackAppriseBackend(AppriseBackend):
    """The production backend, in a worker whose chat apps live at CHAT_LOOPBACK_URL."""

    def __init__(self) -> None:
        super().__init__()
        route_to_loopback(os.environ["CHAT_LOOPBACK_URL"])
