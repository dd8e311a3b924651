"""Every channel's sender, by channel name: sending.py looks a delivery's channel up here."""

from __future__ import annotations

from notifications.delivery.channels.base import ChannelSender
from notifications.delivery.channels.chat import ChatSender
from notifications.delivery.channels.email import EmailSender
from notifications.delivery.channels.push import PushSender
from notifications.delivery.channels.sms import SmsSender
from notifications.delivery.channels.webhook import WebhookSender

SENDERS: dict[str, ChannelSender] = {
    sender.channel: sender
    for sender in (
        EmailSender(),
        SmsSender(),
        PushSender(),
        WebhookSender(),
        ChatSender(),
    )
}
