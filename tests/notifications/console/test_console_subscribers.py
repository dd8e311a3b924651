"""Subscriber and delivery pages of the staff console: list, search, export, import, deliveries by event."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Component, Event, EventKind
from notifications import tasks
from notifications.models import Channel, Delivery, DeliveryStatus, ImportJob, Subscriber
from notifications.signup import bulk_import
from tests.conftest import count_queries

pytestmark = pytest.mark.django_db

SUBSCRIBERS = "/console/subscribers/"
EXPORT = "/console/subscribers/export.csv"
IMPORT = "/console/subscribers/import/"
EVENTS = "/console/events/"
US_PHONE = "+14155552671"
UK_PHONE = "+447911123456"


def user_in(role: str, name: str | None = None):
    user = get_user_model().objects.create_user(name or role.lower(), password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def admin_client(client):
    client.force_login(user_in("Admin"))
    return client


@pytest.fixture
def viewer_client(client):
    client.force_login(user_in("Viewer"))
    return client


@pytest.fixture
def event(db) -> Event:
    return Event.objects.create(kind=EventKind.INCIDENT_CREATED)


@pytest.fixture
def job(db) -> ImportJob:
    return ImportJob.objects.create(filename="x.csv", contents="email\na@example.com\n", total=1)


def upload(client, text: str | bytes, name: str = "subscribers.csv", **data):
    content = text.encode() if isinstance(text, str) else text
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content, "text/csv"), **data})


def now():
    return timezone.now()


# --- Access: anonymous, Viewer, Admin


def subscriber_pages(job: ImportJob) -> list[str]:
    return [
        SUBSCRIBERS,
        EXPORT,
        IMPORT,
        f"/console/subscribers/import/{job.pk}/",
        f"/console/subscribers/import/{job.pk}/progress.json",
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, job, event):
    for path in [*subscriber_pages(job), EVENTS, f"{EVENTS}{event.pk}/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/console/login/"), path


def test_a_viewer_cannot_see_subscribers_but_can_see_deliveries_by_event(viewer_client, job, event):
    for path in subscriber_pages(job):
        assert viewer_client.get(path).status_code == 403, path
    assert viewer_client.post(IMPORT, {}).status_code == 403
    for path in [EVENTS, f"{EVENTS}{event.pk}/"]:
        assert viewer_client.get(path).status_code == 200, path


def test_an_admin_sees_every_page(admin_client, job, event):
    for path in [*subscriber_pages(job), EVENTS, f"{EVENTS}{event.pk}/"]:
        assert admin_client.get(path).status_code == 200, path


def test_the_nav_links_subscribers_only_for_those_allowed(client, event):
    client.force_login(user_in("Viewer"))
    page = client.get(EVENTS).content.decode()
    assert f'href="{EVENTS}"' in page and f'href="{SUBSCRIBERS}"' not in page
    client.force_login(user_in("Admin"))
    page = client.get(EVENTS).content.decode()
    assert f'href="{EVENTS}"' in page and f'href="{SUBSCRIBERS}"' in page


def test_a_missing_event_or_job_is_a_404(admin_client):
    assert admin_client.get(f"{EVENTS}999999/").status_code == 404
    assert admin_client.get("/console/subscribers/import/999999/").status_code == 404
    assert admin_client.get("/console/subscribers/import/999999/progress.json").status_code == 404


# --- The list: search, filters, pages


@pytest.fixture
def people(db) -> dict[str, Subscriber]:
    t = now()
    return {
        "confirmed": Subscriber.objects.create(email="ada@example.com", email_confirmed_at=t),
        "unconfirmed": Subscriber.objects.create(email="bob@Example.org"),
        "phone": Subscriber.objects.create(phone=UK_PHONE, phone_confirmed_at=t),
        "suppressed": Subscriber.objects.create(
            email="gone@example.net", email_confirmed_at=t, email_suppressed_at=t
        ),
        "opted_out": Subscriber.objects.create(phone=US_PHONE, phone_confirmed_at=t, phone_opted_out_at=t),
    }


def listed(client, **params) -> set[int]:
    response = client.get(SUBSCRIBERS, params)
    assert response.status_code == 200
    return {s.pk for s in response.context["page"]}


def test_search_matches_email_case_insensitively(admin_client, people):
    assert listed(admin_client, q="EXAMPLE.ORG") == {people["unconfirmed"].pk}
    assert listed(admin_client, q="example") == {
        p.pk for key, p in people.items() if key not in ("phone", "opted_out")
    }


def test_search_matches_phone_numbers_as_typed_with_spaces(admin_client, people):
    assert listed(admin_client, q="7911 123") == {people["phone"].pk}
    assert listed(admin_client, q="+44 7911") == {people["phone"].pk}
    assert listed(admin_client, q="(415) 555") == {people["opted_out"].pk}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("confirmed", {"confirmed", "phone", "suppressed", "opted_out"}),
        ("unconfirmed", {"unconfirmed"}),
        ("suppressed", {"suppressed"}),
        ("opted_out", {"opted_out"}),
        ("", {"confirmed", "unconfirmed", "phone", "suppressed", "opted_out"}),
    ],
)
def test_status_filters(admin_client, people, status, expected):
    assert listed(admin_client, status=status) == {people[key].pk for key in expected}


def test_search_and_filter_combine(admin_client, people):
    assert listed(admin_client, q="example", status="unconfirmed") == {people["unconfirmed"].pk}


def test_an_unknown_filter_is_a_400(admin_client, people):
    response = admin_client.get(SUBSCRIBERS, {"status": "everything"})
    assert response.status_code == 400
    assert admin_client.get(EXPORT, {"status": "everything"}).status_code == 400


def test_the_list_pages_by_fifty_newest_first(admin_client):
    Subscriber.objects.bulk_create([Subscriber(email=f"p{n}@example.com") for n in range(120)])
    first = admin_client.get(SUBSCRIBERS).context["page"]
    assert len(first) == 50 and first.paginator.num_pages == 3
    assert first[0].email == "p119@example.com"
    last = admin_client.get(SUBSCRIBERS, {"page": 3, "q": "example"}).content.decode()
    assert "p0@example.com" in last and "Page 3 of 3" in last


def test_the_list_costs_the_same_queries_for_a_few_or_many_subscribers(admin_client, component):
    other = Component.objects.create(name="Public API")

    def add(first: int, count: int) -> None:
        made = Subscriber.objects.bulk_create(
            [Subscriber(email=f"q{n}@example.com", all_components=False) for n in range(first, first + count)]
        )
        for s in made:
            s.components.set([component, other])

    add(0, 3)
    few = count_queries(admin_client, SUBSCRIBERS)
    add(3, 80)
    assert count_queries(admin_client, SUBSCRIBERS) == few
    page = admin_client.get(SUBSCRIBERS).content.decode()
    assert "Message queue eu-west, Public API" in page or "Public API, Message queue eu-west" in page


# --- Export


def export_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_streams_every_subscriber_with_their_choices(admin_client, people, component):
    ada = people["confirmed"]
    ada.all_components = False
    ada.event_kinds = ["incident.created", "incident.resolved"]
    ada.save()
    ada.components.set([component, Component.objects.create(name="Public API")])

    response = admin_client.get(EXPORT)

    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="subscribers-')
    rows = export_rows(response)
    assert len(rows) == len(people)
    # These first, in this order; other channels' columns follow (test_console_webhooks.py).
    assert list(rows[0])[:9] == [
        "email",
        "phone",
        "email_confirmed",
        "phone_confirmed",
        "all_components",
        "components",
        "event_kinds",
        "created_at",
        "page",
    ]
    by_email = {row["email"]: row for row in rows}
    row = by_email["ada@example.com"]
    assert row["page"] == "main"
    assert row["email_confirmed"] == "yes" and row["phone_confirmed"] == "no"
    assert row["all_components"] == "no"
    assert sorted(row["components"].split(";")) == ["Message queue eu-west", "Public API"]
    assert row["event_kinds"] == "incident.created;incident.resolved"
    assert row["created_at"].startswith(str(ada.created_at.year))
    phone_row = next(r for r in rows if r["phone"] == UK_PHONE)
    assert phone_row["email"] == "" and phone_row["phone_confirmed"] == "yes"
    assert phone_row["all_components"] == "yes" and phone_row["components"] == ""


def test_export_follows_the_search_and_filter(admin_client, people):
    rows = export_rows(admin_client.get(EXPORT, {"status": "unconfirmed"}))
    assert [r["email"] for r in rows] == ["bob@Example.org"]


def test_export_defuses_addresses_that_a_spreadsheet_would_run(admin_client):
    Subscriber.objects.create(email="=1+2@example.com")
    rows = export_rows(admin_client.get(EXPORT))
    assert rows[0]["email"] == "'=1+2@example.com"


def test_export_walks_subscribers_in_chunks(admin_client, monkeypatch):
    """Prefetching per chunk: the query count grows with chunks, and nothing holds every row."""
    from notifications.console import subscribers

    monkeypatch.setattr(subscribers, "EXPORT_CHUNK", 10)
    Subscriber.objects.bulk_create([Subscriber(email=f"c{n}@example.com") for n in range(35)])
    response = admin_client.get(EXPORT)
    with CaptureQueriesContext(connection) as queries:
        rows = export_rows(response)
    assert len(rows) == 35
    component_queries = [q for q in queries if "incidents_component" in q["sql"]]
    assert len(component_queries) == 4  # one per chunk of 10


# --- Import from the console


def test_a_small_import_creates_good_rows_reports_bad_ones_and_skips_duplicates(
    admin_client, people, sms_outbox
):
    text = (
        "email,phone\n"
        "new@example.com,\n"  # line 2
        "NEW2@Example.com,(415) 555-0132\n"  # line 3: a US number in national format
        "not-an-email,\n"  # line 4
        ",12345\n"  # line 5
        "ada@example.com,\n"  # line 6: already subscribed
        "\n"  # line 7: blank, ignored
        "new@example.com,\n"  # line 8: repeated in the file
        f",{UK_PHONE}\n"  # line 9: already subscribed
        "third@example.com,+44 7400 123456\n"  # line 10 (a mobile: SMS goes to mobiles only)
    )
    before = Subscriber.objects.count()

    response = upload(admin_client, text)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/console/subscribers/import/{job.pk}/"
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.processed, job.created, job.skipped, job.invalid) == (8, 8, 3, 3, 2)
    assert [e["line"] for e in job.errors] == [4, 5]
    assert "not-an-email" in job.errors[0]["message"]
    assert "12345" in job.errors[1]["message"]
    assert job.contents == ""  # the copy of the addresses is dropped once imported
    assert Subscriber.objects.count() == before + 3
    new2 = Subscriber.objects.get(email="new2@example.com")
    assert new2.phone == "+14155550132"
    assert new2.email_confirmed_at is None and new2.phone_confirmed_at is None
    assert Subscriber.objects.get(phone="+447400123456").email == "third@example.com"
    assert mail.outbox == [] and sms_outbox == []

    page = admin_client.get(response["Location"]).content.decode()
    assert "not mailed or texted automatically" in page
    assert "<td>4</td>" in page and "<td>5</td>" in page


def test_the_confirmed_box_imports_addresses_as_confirmed(admin_client):
    upload(admin_client, f"email,phone\nv@example.com,{US_PHONE}\n", confirmed="on")
    s = Subscriber.objects.get(email="v@example.com")
    assert s.email_confirmed_at and s.phone_confirmed_at
    assert s.confirmed_channels() == [Channel.EMAIL, Channel.SMS]
    assert ImportJob.objects.get().confirmed is True
    assert mail.outbox == []


def test_an_import_goes_to_the_page_chosen_and_skips_only_that_pages_addresses(admin_client):
    from incidents.models import StatusPage

    partner = StatusPage.objects.create(name="Partner Status", slug="partner")
    Subscriber.objects.create(email="both@example.com")  # on the default page
    Subscriber.objects.create(email="taken@example.com", page=partner)

    assert f'value="{partner.pk}"' in admin_client.get(IMPORT).content.decode()
    upload(admin_client, "email\nboth@example.com\ntaken@example.com\n", page=str(partner.pk))

    job = ImportJob.objects.get()
    assert (job.page, job.created, job.skipped) == (partner, 1, 1)
    assert Subscriber.objects.filter(email="both@example.com").count() == 2
    listing = admin_client.get(SUBSCRIBERS).content.decode()
    assert "Partner Status" in listing


def test_an_import_to_a_page_that_does_not_exist_is_a_form_error(admin_client):
    response = upload(admin_client, "email\nv@example.com\n", page="999999")
    assert response.status_code == 400
    assert not Subscriber.objects.exists() and not ImportJob.objects.exists()


def test_a_confirmed_column_confirms_its_own_rows(admin_client):
    response = upload(
        admin_client, "Email;Confirmed\nyes@example.com;yes\nno@example.com;\nbad@example.com;maybe\n"
    )
    assert response.status_code == 302
    assert Subscriber.objects.get(email="yes@example.com").email_confirmed_at is not None
    assert Subscriber.objects.get(email="no@example.com").email_confirmed_at is None
    assert not Subscriber.objects.filter(email="bad@example.com").exists()
    assert ImportJob.objects.get().errors == [
        {"line": 4, "message": "confirmed must be yes or no, not 'maybe'"}
    ]


def test_an_exported_file_imports_back_without_duplicates(admin_client):
    t = now()
    Subscriber.objects.create(email="ada@example.com", phone=UK_PHONE, email_confirmed_at=t)
    Subscriber.objects.create(phone=US_PHONE)
    Subscriber.objects.create(email="=1+2@example.com")
    exported = b"".join(admin_client.get(EXPORT).streaming_content)
    Subscriber.objects.filter(email="=1+2@example.com").delete()
    upload(admin_client, exported)
    job = ImportJob.objects.get()
    assert (job.created, job.skipped, job.invalid) == (1, 2, 0)
    assert Subscriber.objects.filter(email="=1+2@example.com").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"name,address\nAda,ada@example.com\n", "header"),
        ("email\nada@example.com\n".encode("utf-16"), "not UTF-8"),
        ("email\ncaf\xe9@example.com\n".encode("latin-1"), "not UTF-8"),
        (b"email\nada@example.com\x00\n", "not a CSV"),
        (b"email\n", "no subscribers"),
        (b"\n\nemail\nada@example.com\n", "header"),
        (b"", "empty"),
        (b'email\n"unterminated\n', None),
    ],
)
def test_a_bad_upload_is_a_400_and_creates_nothing(admin_client, content, message):
    response = upload(admin_client, content)
    assert response.status_code == 400
    if message:
        assert message in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert Subscriber.objects.count() == 0


def test_an_upload_over_the_size_cap_is_a_400_and_creates_nothing(admin_client, monkeypatch):
    monkeypatch.setattr(bulk_import, "MAX_BYTES", 100)
    response = upload(admin_client, "email\n" + "".join(f"s{n}@example.com\n" for n in range(20)))
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert ImportJob.objects.count() == 0 and Subscriber.objects.count() == 0


def test_an_upload_without_a_file_is_a_400(admin_client):
    assert admin_client.post(IMPORT, {}).status_code == 400
    assert ImportJob.objects.count() == 0


# --- Big imports run in the background


def big_csv(rows: int, first: int = 0) -> str:
    return "email\n" + "".join(f"bulk{n}@example.com\n" for n in range(first, first + rows))


def test_a_big_upload_is_queued_and_the_task_imports_it_in_batches(
    admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(tasks.import_subscribers, "delay", lambda job_id: enqueued.append(job_id))
    saves = []
    real_record = bulk_import.record
    monkeypatch.setattr(
        bulk_import, "record", lambda job, result, rows: (real_record(job, result, rows), saves.append(rows))
    )
    text = big_csv(2500).replace("bulk7@example.com", "broken@")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, text)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert enqueued == [job.pk]
    assert (job.status, job.total, job.processed) == (ImportJob.Status.QUEUED, 2500, 0)
    progress = admin_client.get(f"/console/subscribers/import/{job.pk}/progress.json").json()
    assert progress["finished"] is False and progress["percent"] == 0
    page = admin_client.get(f"/console/subscribers/import/{job.pk}/").content.decode()
    assert "<progress" in page and "progress.json" in page and "/static/import-progress.js" in page
    with open(finders.find("import-progress.js")) as script:
        assert "setTimeout(poll, 1000)" in script.read()

    tasks.import_subscribers(job.pk)

    job.refresh_from_db()
    assert saves == [1000, 1000, 500]
    assert (job.status, job.total, job.processed, job.created, job.invalid) == ("done", 2500, 2500, 2499, 1)
    assert job.errors == [{"line": 9, "message": "email 'broken@' is not a valid address"}]
    assert job.finished_at is not None
    assert Subscriber.objects.count() == 2499
    progress = admin_client.get(f"/console/subscribers/import/{job.pk}/progress.json").json()
    assert progress == {
        "status": "done",
        "total": 2500,
        "processed": 2500,
        "created": 2499,
        "skipped": 0,
        "invalid": 1,
        "failure": "",
        "percent": 100,
        "finished": True,
    }
    assert (
        "setTimeout(poll" not in admin_client.get(f"/console/subscribers/import/{job.pk}/").content.decode()
    )


def test_an_import_resumes_after_the_rows_it_already_committed(db):
    job = ImportJob.objects.create(contents=big_csv(2500), total=2500, processed=1000, status="running")
    tasks.import_subscribers(job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed, job.created) == ("done", 2500, 1500)
    assert not Subscriber.objects.filter(email="bulk999@example.com").exists()
    assert Subscriber.objects.filter(email="bulk1000@example.com").exists()


def test_an_import_hands_over_to_a_fresh_task_when_its_time_is_up(db, monkeypatch):
    enqueued = []
    monkeypatch.setattr(tasks.import_subscribers, "delay", lambda job_id: enqueued.append(job_id))
    monkeypatch.setattr(tasks, "IMPORT_SLICE_SECONDS", 1e-9)
    job = ImportJob.objects.create(contents=big_csv(2500), total=2500)

    tasks.import_subscribers(job.pk)

    job.refresh_from_db()
    assert (job.status, job.processed) == ("running", 1000)
    assert enqueued == [job.pk]


def test_a_repeated_task_for_a_finished_import_does_nothing(db):
    job = ImportJob.objects.create(contents=big_csv(5), total=5)
    tasks.import_subscribers(job.pk)
    tasks.import_subscribers(job.pk)
    tasks.import_subscribers(987654)  # gone
    job.refresh_from_db()
    assert (job.processed, job.created) == (5, 5)


def test_an_import_that_cannot_reach_the_queue_says_so(
    admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(job_id):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.import_subscribers, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, big_csv(1500))
    job = ImportJob.objects.get()
    assert job.status == "failed" and "could not be reached" in job.failure


def test_an_unexpected_error_fails_the_job_and_keeps_what_was_imported(db, monkeypatch):
    real = bulk_import.import_batch
    calls = []

    def second_batch_breaks(batch, page, confirmed):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(batch, page, confirmed)

    monkeypatch.setattr(bulk_import, "import_batch", second_batch_breaks)
    job = ImportJob.objects.create(contents=big_csv(2500), total=2500)
    tasks.import_subscribers(job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed, job.created) == ("failed", 1000, 1000)
    assert "RuntimeError" in job.failure
    assert Subscriber.objects.count() == 1000


# --- The management command


def test_the_command_imports_a_file_with_the_same_checks(tmp_path, capsys):
    Subscriber.objects.create(email="old@example.com")
    path = tmp_path / "subs.csv"
    path.write_text(f"email,phone\nold@example.com,\nfresh@example.com,{US_PHONE}\nnope,\n", encoding="utf-8")

    call_command("import_subscribers", str(path))

    out, err = capsys.readouterr()
    assert (
        "3 rows: 1 subscribers created, unconfirmed" in out and "1 skipped" in out and "1 with errors" in out
    )
    assert "line 4: email 'nope' is not a valid address" in err
    fresh = Subscriber.objects.get(email="fresh@example.com")
    assert fresh.phone == US_PHONE and fresh.email_confirmed_at is None


def test_the_command_can_import_as_confirmed(tmp_path):
    path = tmp_path / "subs.csv"
    path.write_text(big_csv(1200), encoding="utf-8")
    call_command("import_subscribers", str(path), "--confirmed", verbosity=0)
    assert Subscriber.objects.filter(email_confirmed_at__isnull=False).count() == 1200
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"name\nx\n", "header"), ("email\ncaf\xe9@x.test\n".encode("latin-1"), "not UTF-8")],
)
def test_the_command_refuses_a_bad_file(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_subscribers", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_subscribers", str(tmp_path / "missing.csv"))
    assert Subscriber.objects.count() == 0


# --- Deliveries by event

NUMBERS = itertools.count(1000)


def deliveries_for(event: Event, statuses: dict[str, int]) -> None:
    for status, count in statuses.items():
        for _ in range(count):
            n = next(NUMBERS)
            subscriber = Subscriber.objects.create(email=f"d{n}@example.com", phone=f"+1415555{n:04d}")
            Delivery.objects.create(event=event, subscriber=subscriber, channel=Channel.EMAIL, status=status)


def test_the_event_list_counts_deliveries_in_each_status(viewer_client, event):
    deliveries_for(
        event,
        {
            DeliveryStatus.QUEUED: 2,
            DeliveryStatus.SENDING: 1,
            DeliveryStatus.SENT: 4,
            DeliveryStatus.FAILED: 1,
            DeliveryStatus.SUPPRESSED: 2,
        },
    )
    quiet = Event.objects.create(kind=EventKind.MAINTENANCE_SCHEDULED)

    response = viewer_client.get(EVENTS)

    assert response.status_code == 200
    shown = {e.pk: e.delivery_counts for e in response.context["page"]}
    assert shown[event.pk] == {"queued": 3, "sent": 4, "failed": 1, "suppressed": 2, "total": 10}
    assert shown[quiet.pk] == {"queued": 0, "sent": 0, "failed": 0, "suppressed": 0, "total": 0}
    assert [e.pk for e in response.context["page"]] == [quiet.pk, event.pk]  # newest first
    page = response.content.decode()
    assert "3 queued" in page and "4 sent" in page and "1 failed" in page and "2 suppressed" in page


def test_the_event_list_costs_the_same_queries_however_many_events(viewer_client):
    def add_events(count: int) -> None:
        for _ in range(count):
            deliveries_for(Event.objects.create(kind=EventKind.INCIDENT_UPDATED), {"sent": 1, "failed": 1})

    add_events(2)
    few = count_queries(viewer_client, EVENTS)
    add_events(8)
    assert count_queries(viewer_client, EVENTS) == few


def test_the_event_list_pages(viewer_client):
    Event.objects.bulk_create([Event(kind=EventKind.INCIDENT_UPDATED) for _ in range(60)])
    page = viewer_client.get(EVENTS, {"page": 2}).context["page"]
    assert page.number == 2 and len(page) == 10


def test_the_event_detail_lists_and_filters_its_deliveries(admin_client, event):
    deliveries_for(event, {"sent": 2, "failed": 1})
    failed = Delivery.objects.get(status="failed")
    failed.error = "550 mailbox unavailable"
    failed.save()

    everything = admin_client.get(f"{EVENTS}{event.pk}/")
    only_failed = admin_client.get(f"{EVENTS}{event.pk}/", {"status": "failed"})

    assert len(everything.context["page"]) == 3
    assert [d.pk for d in only_failed.context["page"]] == [failed.pk]
    page = only_failed.content.decode()
    assert failed.subscriber.email in page and "550 mailbox unavailable" in page
    assert "Failed (1)" in page and "Sent (2)" in page


def test_the_event_detail_pages_keep_the_filter(admin_client, event, monkeypatch):
    from notifications.console import events

    monkeypatch.setattr(events, "DELIVERIES_PER_PAGE", 2)
    deliveries_for(event, {"sent": 5, "failed": 1})
    response = admin_client.get(f"{EVENTS}{event.pk}/", {"status": "sent"})
    assert response.context["page"].paginator.num_pages == 3
    assert "?status=sent&amp;page=2" in response.content.decode()


def test_a_viewer_sees_deliveries_but_not_the_addresses(viewer_client, event):
    deliveries_for(event, {"sent": 1})
    delivery = Delivery.objects.get()
    page = viewer_client.get(f"{EVENTS}{event.pk}/").content.decode()
    assert delivery.subscriber.email not in page
    assert f"subscriber #{delivery.subscriber_id}" in page


def test_an_unknown_delivery_status_filter_is_a_400(admin_client, event):
    assert admin_client.get(f"{EVENTS}{event.pk}/", {"status": "lost"}).status_code == 400
