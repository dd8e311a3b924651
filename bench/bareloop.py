"""P3's baseline: one process sending the same messages to the same servers, as fast as it can.

`python -m bench.bareloop COUNT MAX_SECONDS` with the fakes' addresses in the environment
(BENCH_SMTP_PORT, TWILIO_API_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) and Django
pointed at the bench database. The texts are rendered once by the app's own templates for
the newest incident update; each message is then built for its recipient and sent: email
over one smtplib connection, SMS with one requests Session. Prints JSON.
"""

from __future__ import annotations

import json
import os
import smtplib
import sys
import time


def main(count: int, max_seconds: float) -> dict:
    import django

    django.setup()
    import requests
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from bench.dataset import subscriber_address
    from incidents.models import Event, StatusPage
    from notifications.delivery import gsm
    from notifications.delivery.rendering import event_context, render_email, render_sms, template_for

    event = (
        Event.objects.filter(incident_update__isnull=False)
        .select_related("incident", "incident_update")
        .first()
    )
    page = StatusPage.objects.get(is_default=True)
    context = event_context(event, page)
    name = template_for(event)
    context.update(
        manage_url=settings.SITE_URL + "/manage/", unsubscribe_url=settings.SITE_URL + "/unsubscribe/"
    )
    email = render_email(name, context, page)
    link = context["link"]
    sms_body = gsm.fit(render_sms(name, context, page).strip(), max_segments=2, keep_tail=f" {link}")

    sid, token = os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"]
    sms_url = f"{os.environ['TWILIO_API_BASE_URL'].rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
    session = requests.Session()
    session.auth = (sid, token)
    smtp = smtplib.SMTP("127.0.0.1", int(os.environ["BENCH_SMTP_PORT"]), timeout=10)
    sender = settings.DEFAULT_FROM_EMAIL

    sent = {"email": 0, "sms": 0}
    started = time.monotonic()
    deadline = started + max_seconds
    for i in range(count):
        if time.monotonic() > deadline:
            break
        address, phone = subscriber_address(i)
        if address:
            message = EmailMultiAlternatives(
                subject=email.subject,
                body=email.text,
                from_email=sender,
                to=[address],
                headers={
                    "Message-ID": f"<bare-{i}@bench>",
                    "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                },
            )
            message.attach_alternative(email.html, "text/html")
            smtp.sendmail(sender, [address], message.message().as_bytes(linesep="\r\n"))
            sent["email"] += 1
        else:
            response = session.post(
                sms_url, data={"To": phone, "From": "+15005550006", "Body": sms_body}, timeout=10
            )
            response.raise_for_status()
            sent["sms"] += 1
    seconds = time.monotonic() - started
    smtp.quit()
    total = sent["email"] + sent["sms"]
    return {**sent, "sent": total, "seconds": seconds, "per_second": total / seconds if seconds else 0.0}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), float(sys.argv[2]))))
