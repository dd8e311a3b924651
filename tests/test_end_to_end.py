"""The whole flow on the real stack: probe -> status -> incident -> email and SMS, once each."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from incidents.models import Component, ComponentGroup, Incident, Probe
from notifications.models import Delivery, DeliveryStatus, Subscriber
from tests.fakes.worker import wait_for

pytestmark = pytest.mark.e2e


def _post_result(client, probe: Probe, ok: bool):
    return client.post(
        f"/api/v1/probes/{probe.pk}/results",
        data=json.dumps({"ok": ok, "latency_ms": 80, "location": "eu-west"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {probe.secret}"},
    )


def _subscribe_email(client, smtp_server, address: str) -> None:
    assert client.post("/subscribe/", {"email": address, "phone": ""}).status_code == 302
    mail = wait_for(lambda: [m for m in smtp_server.messages if address in m["To"]])
    assert mail, "confirmation email never reached the SMTP server"
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", mail[0].get_body(("plain",)).get_content())
    assert client.get(urlsplit(link.group(0)).path).status_code == 200


def _subscribe_phone(client, twilio_server, number: str) -> None:
    response = client.post("/subscribe/", {"email": "", "phone": number})
    assert response.status_code == 302
    texts = wait_for(lambda: [m for m in twilio_server.messages if m["To"] == number])
    assert texts, "confirmation code never reached the SMS server"
    code = re.search(r"\b(\d{6})\b", texts[0]["Body"]).group(1)
    assert client.post(response["Location"], {"code": code}).status_code == 200


def test_failing_probe_and_staff_incident_reach_each_subscriber_exactly_once(
    client, delivery_worker, smtp_server, twilio_server
):
    group = ComponentGroup.objects.create(name="Message queue")
    queue = Component.objects.create(name="Message queue eu-west", group=group)
    probe = Probe.objects.create(component=queue, name="push", failure_threshold=2)

    _subscribe_email(client, smtp_server, "ops@example.test")
    _subscribe_phone(client, twilio_server, "+14155552671")
    assert Subscriber.objects.filter(email_confirmed_at__isnull=False).count() == 1
    assert Subscriber.objects.filter(phone_confirmed_at__isnull=False).count() == 1

    assert _post_result(client, probe, ok=False).status_code == 201
    summary = client.get("/api/v2/summary.json").json()
    assert {c["name"]: c["status"] for c in summary["components"]}[queue.name] == "operational"
    assert _post_result(client, probe, ok=False).status_code == 201
    summary = client.get("/api/v2/summary.json").json()
    assert {c["name"]: c["status"] for c in summary["components"]}[queue.name] == "major_outage"
    assert summary["status"]["indicator"] == "critical"

    staff = get_user_model().objects.create_superuser("responder", "", "pw-for-tests-only")
    client.force_login(staff)
    name = "Messages delayed in eu-west"
    response = client.post(
        "/admin/incidents/incident/add/",
        {
            "name": name,
            "status": "investigating",
            "impact": "major",
            "components": [queue.pk],
            "message": "We are investigating delayed deliveries.",
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
            "updates-MIN_NUM_FORMS": "0",
            "updates-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(name=name)
    assert [i["name"] for i in client.get("/api/v2/summary.json").json()["incidents"]] == [name]

    def mails_about_incident():
        return [m for m in smtp_server.messages if name in m["Subject"]]

    def texts_about_incident():
        return [b for b in twilio_server.bodies() if name in b]

    assert wait_for(lambda: mails_about_incident() and texts_about_incident(), timeout=60)
    time.sleep(3)  # room for a duplicate to show up, if the pipeline made one
    mails, texts = mails_about_incident(), texts_about_incident()
    print(f"incident emails: {len(mails)}, incident SMS requests: {len(texts)}")
    assert len(mails) == 1 and mails[0]["To"] == "ops@example.test"
    assert f"/incidents/{incident.pk}/" in mails[0].get_body(("plain",)).get_content()
    assert len(texts) == 1 and f"/incidents/{incident.pk}/" in texts[0]
    assert twilio_server.messages[-1]["To"] == "+14155552671"
    statuses = list(Delivery.objects.values_list("channel", "status"))
    assert sorted(statuses) == [("email", DeliveryStatus.SENT), ("sms", DeliveryStatus.SENT)]
