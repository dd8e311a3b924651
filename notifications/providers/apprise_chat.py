"""Chat apps through Apprise: which addresses are vetted, their canonical Apprise URLs, and posting.

Only these apps, from public sign-up: Slack (incoming webhooks, bot tokens), Microsoft Teams
(Workflows webhooks), Discord, Google Chat, Mattermost, Telegram, Matrix and ntfy. Every other
Apprise scheme is refused (json://, form://, mailto://, windows:// ... could post anywhere, send
mail or run on this machine). An address is rebuilt from what Apprise parsed out of it, never
passed on as typed: options a person could add (a template file to read, `verify=no`, timeouts,
Matrix server discovery, several targets) are dropped, and our own go on at send time.

Apprise says only True or False. The HTTP status it logs for a failure is read from its log
records on this thread: 401, 403, 404 and 410 mean the webhook or bot is gone or no longer allowed
in (a Slack webhook removed from its workspace answers 404 `no_service`, an archived channel 410,
a deleted Discord webhook 404 `Unknown Webhook`), so the address is stopped. Anything else, or no
answer at all, may work later and is retried.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote, urlsplit

import apprise
from django.conf import settings

from notifications.delivery.channels.base import DeliveryError
from notifications.delivery.channels.chat import BaseChatBackend, ChatDestination, ChatUrlRefused

LABELS = {
    "slack": "Slack",
    "teams": "Microsoft Teams",
    "discord": "Discord",
    "gchat": "Google Chat",
    "mattermost": "Mattermost",
    "telegram": "Telegram",
    "matrix": "Matrix",
    "ntfy": "ntfy",
}
# Apps whose Apprise plugin shows Markdown; the others get the text Apprise makes of it.
MARKDOWN_APPS = {"slack", "teams", "discord", "gchat", "mattermost", "matrix"}
APPRISE_SCHEMES = {
    "slack": "slack",
    "discord": "discord",
    "gchat": "gchat",
    "workflow": "teams",
    "workflows": "teams",
    "mmost": "mattermost",
    "mmosts": "mattermost",
    "tgram": "telegram",
    "matrix": "matrix",
    "matrixs": "matrix",
    "ntfy": "ntfy",
    "ntfys": "ntfy",
}
# The apps' own webhook URLs that Apprise reads itself (by host, then path).
NATIVE = [
    (re.compile(r"^hooks\.slack\.com$"), re.compile(r"^/services/"), "slack"),
    (re.compile(r"^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$"), re.compile(r"^/api/webhooks/"), "discord"),
    (re.compile(r"^chat\.googleapis\.com$"), re.compile(r"^/v1/spaces/"), "gchat"),
    (re.compile(r"^ntfy\.sh$"), re.compile(r"^/[\w-]+/?$"), "ntfy"),
]
# Where Teams Workflows webhooks live ("Post to a channel when a webhook request is received").
TEAMS_HOST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:logic\.azure\.com|api\.powerplatform\.com)$")
OFFICE_CONNECTOR = re.compile(r"\.webhook\.office\.com$|^outlook\.office(?:365)?\.com$")
MATTERMOST_HOOK = re.compile(r"^/hooks/(?P<token>[a-z0-9]+)/?$")
PERMANENT_STATUSES = {401, 403, 404, 410}
HELP = (
    "Paste an incoming webhook URL from Slack, Microsoft Teams (Workflows), Discord, Google Chat or "
    "Mattermost, or an Apprise URL for Telegram (tgram://), Matrix (matrixs://) or ntfy (ntfys://)."
)


class AppriseBackend(BaseChatBackend):
    def __init__(self) -> None:
        # In memory only, no template files, and redirects not followed (a redirect could lead a
        # self-hosted app's post to an address that was never checked).
        self.asset = apprise.AppriseAsset(
            storage_mode="memory",
            allow_templates=False,
            http_redirects=False,
            app_id=settings.SITE_NAME,  # the sender's name where an app shows one (Discord's author)
            app_url=settings.SITE_URL,
        )

    def destination(self, url: str) -> ChatDestination:
        url = (url or "").strip()
        if not url:
            raise ChatUrlRefused("Enter your chat app's webhook URL.")
        if len(url) > 500:
            raise ChatUrlRefused("That URL is too long.")
        parts = urlsplit(url)
        app = APPRISE_SCHEMES.get(parts.scheme.lower())
        if parts.scheme.lower() == "https":
            url, app = _native(url, parts)
        elif app is None:
            raise ChatUrlRefused(f"We can't post to that kind of address. {HELP}")
        try:
            plugin = apprise.Apprise.instantiate(url, asset=self.asset, suppress_exceptions=True)
        except Exception:  # noqa: BLE001 - Apprise's parsers raise what they like on odd input
            plugin = None
        if not plugin:
            raise ChatUrlRefused(f"That address is missing something or has a typo. {HELP}")
        canonical, self_hosted = _canonical(app, plugin)
        return ChatDestination(url=canonical, app=app, label=LABELS[app], self_hosted=self_hosted)

    def send(self, destination: ChatDestination, title: str, body: str) -> str:
        plugin = apprise.Apprise.instantiate(
            _with_params(destination.url, _send_params(destination.app)), asset=self.asset
        )
        if not plugin:
            raise DeliveryError("chat address no longer understood by Apprise", permanent=True)
        with _FailureLog() as log:
            ok = plugin.notify(body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN)
        if ok:
            return ""
        status = log.status()
        if status in PERMANENT_STATUSES:
            return _raise(f"{destination.label} answered {status}: the webhook is gone", permanent=True)
        reason = f"answered {status}" if status else (log.last() or "no answer")
        # No status: the request may have gone out and its answer been lost (a timeout).
        return _raise(f"{destination.label} {reason}", permanent=False, maybe_sent=status is None)


def _raise(message: str, **flags) -> str:
    raise DeliveryError(message[:300], **flags)


def _native(url: str, parts) -> tuple[str, str]:
    """The URL Apprise reads for an app's own https webhook URL, and the app; refuse any other."""
    host = (parts.hostname or "").lower()
    for host_re, path_re, app in NATIVE:
        if host_re.match(host) and path_re.match(parts.path):
            return url, app  # Apprise reads these itself; _canonical rebuilds them without extras
    if TEAMS_HOST.match(host) and "/workflows/" in parts.path:
        return url, "teams"
    if OFFICE_CONNECTOR.search(host):
        raise ChatUrlRefused(
            "Microsoft retired Office 365 connector webhooks. In Teams, add the Workflows app's "
            '"Post to a channel when a webhook request is received" and paste its URL.'
        )
    if hook := MATTERMOST_HOOK.match(parts.path):
        return f"mmosts://{parts.netloc.rpartition('@')[2]}/{hook['token']}/", "mattermost"
    raise ChatUrlRefused(f"We can't post to that address. {HELP}")


def _q(value) -> str:
    return quote(str(value), safe="")


def _one(targets, what: str):
    # One target each: a confirmation posted to one room must not switch on others it never reached.
    targets = [t for t in (targets or []) if t]
    if len(targets) != 1:
        raise ChatUrlRefused(f"Give exactly one {what} per subscription.")
    return targets[0]


def _server(plugin) -> tuple[str, str]:
    """The host (with a non-default port) and the https:// URL to check it by."""
    host = plugin.host or ""
    port = f":{plugin.port}" if plugin.port else ""
    return f"{host}{port}", f"{'https' if plugin.secure else 'http'}://{host}{port}/"


def _canonical(app: str | None, plugin) -> tuple[str, str | None]:
    """The URL rebuilt from what Apprise parsed, and the self-hosted server to check (or None)."""
    kind = type(plugin).__name__
    if app == "slack" and kind == "NotifySlack":
        if plugin.mode == "hook":
            return f"slack://{_q(plugin.token_a)}/{_q(plugin.token_b)}/{_q(plugin.token_c)}/", None
        if plugin.mode == "bot":
            return f"slack://{_q(plugin.access_token)}/{_q(_one(plugin.channels, 'channel'))}/", None
    elif app == "discord" and kind == "NotifyDiscord":
        return f"discord://{_q(plugin.webhook_id)}/{_q(plugin.webhook_token)}/", None
    elif app == "gchat" and kind == "NotifyGoogleChat":
        return f"gchat://{_q(plugin.workspace)}/{_q(plugin.webhook_key)}/{_q(plugin.webhook_token)}/", None
    elif app == "teams" and kind == "NotifyWorkflows":
        if not TEAMS_HOST.match((plugin.host or "").lower()):
            raise ChatUrlRefused("That is not a Microsoft Teams Workflows webhook URL.")
        options = f"pa={'yes' if plugin.power_automate else 'no'}&ver={_q(plugin.api_version)}"
        if plugin.routing_id:
            options += f"&route={_q(plugin.routing_id)}"
        server, _ = _server(plugin)
        return f"workflows://{server}/{_q(plugin.workflow)}/{_q(plugin.signature)}/?{options}", None
    elif app == "mattermost" and kind == "NotifyMattermost":
        server, check = _server(plugin)
        return f"{'mmosts' if plugin.secure else 'mmost'}://{server}/{_q(plugin.token)}/", check
    elif app == "telegram" and kind == "NotifyTelegram":
        chat, topic = _one(plugin.targets, "chat")
        target = f"{chat}:{topic}" if topic else str(chat)
        return f"tgram://{_q(plugin.bot_token)}/{_q(target)}/", None
    elif app == "matrix" and kind == "NotifyMatrix" and plugin.mode == "off":
        room = _one(plugin.rooms, "room")
        auth = f"{_q(plugin.user)}:{_q(plugin.password)}" if plugin.user else _q(plugin.password or "")
        if not auth:
            raise ChatUrlRefused("Include the bot's access token (or user and password) in the Matrix URL.")
        server, check = _server(plugin)
        return f"{'matrixs' if plugin.secure else 'matrix'}://{auth}@{server}/{_q(room)}/", check
    elif app == "ntfy" and kind == "NotifyNtfy":
        return _ntfy(plugin)
    raise ChatUrlRefused(f"We can't post to that kind of address. {HELP}")


def _ntfy(plugin) -> tuple[str, str | None]:
    topic = _q(_one(plugin.topics, "topic"))
    if plugin.mode == "cloud" or (plugin.host or "").lower() == "ntfy.sh":
        auth = ""
    elif plugin.auth == "token" and plugin.token:
        auth = f"{_q(plugin.token)}@"
    else:
        auth = f"{_q(plugin.user)}:{_q(plugin.password or '')}@" if plugin.user else ""
    if plugin.mode == "cloud" or (plugin.host or "").lower() == "ntfy.sh":
        return f"ntfys://{topic}/", None
    server, check = _server(plugin)
    token = "?auth=token" if plugin.auth == "token" and plugin.token else ""
    return f"{'ntfys' if plugin.secure else 'ntfy'}://{auth}{server}/{topic}/{token}", check


def _send_params(app: str) -> str:
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    params = (
        f"format={'markdown' if app in MARKDOWN_APPS else 'text'}&overflow=truncate&image=no&redirect=no"
        f"&verify=yes&cto={min(10.0, timeout):g}&rto={timeout:g}"
    )
    if app == "matrix":
        params += "&mode=off&discovery=no&e2ee=no"  # discovery could move the post to an unchecked host
    if app in ("slack", "discord"):
        params += "&avatar=no&footer=no"  # no "Apprise" footer or avatar under our messages
    return params


def _with_params(url: str, params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{params}"


class _FailureLog(logging.Handler):
    """Apprise's warnings on this thread while it sends: where the HTTP status of a failure is said."""

    STATUS = re.compile(r"error=(\d{3})\b")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())

    def __enter__(self) -> _FailureLog:
        logging.getLogger("apprise").addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger("apprise").removeHandler(self)

    def status(self) -> int | None:
        for message in reversed(self.messages):
            if found := self.STATUS.search(message):
                return int(found[1])
        return None

    def last(self) -> str:
        return self.messages[-1] if self.messages else ""
