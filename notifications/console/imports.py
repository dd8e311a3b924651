"""CSV import from the console: upload, then watch the job's progress."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from notifications.console.subscriber_forms import ImportForm
from notifications.models import ImportJob
from notifications.signup import bulk_import
from statuspage.staff import console_view

logger = logging.getLogger(__name__)

PROGRESS_FIELDS = ["status", "total", "processed", "created", "skipped", "invalid", "failure"]


@console_view("notifications.add_subscriber")
def upload(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        job = ImportJob.objects.create(
            filename=form.cleaned_data["file"].name[:255],
            contents=form.text,
            confirmed=form.cleaned_data["confirmed"],
            page=form.cleaned_data["page"],
            total=form.total,
            created_by=request.user,
        )
        if form.total <= bulk_import.BATCH_SIZE:
            # One batch is quick: do it now and show the result straight away.
            bulk_import.run_job(job.pk)
        else:
            transaction.on_commit(lambda: _enqueue(job.pk))
        return redirect("console-subscribers-import-job", job.pk)
    recent = ImportJob.objects.defer("contents", "errors").select_related("created_by", "page")[:10]
    context = {"form": form, "recent": recent}
    return render(request, "console/subscribers_import.html", context, status=400 if form.errors else 200)


def _enqueue(job_id: int) -> None:
    from notifications.tasks import import_subscribers

    try:
        import_subscribers.delay(job_id)
    except Exception:  # noqa: BLE001 - any broker failure; tell the person rather than spin forever
        logger.exception("could not enqueue subscriber import %s", job_id)
        bulk_import.fail(
            job_id, "The task queue could not be reached, so the import did not start. Try again."
        )


@console_view("notifications.add_subscriber")
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.defer("contents").select_related("created_by"), pk=pk)
    return render(request, "console/subscribers_import_job.html", {"job": job})


@console_view("notifications.add_subscriber")
def job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(ImportJob.objects.only(*PROGRESS_FIELDS), pk=pk)
    data = {name: getattr(job, name) for name in PROGRESS_FIELDS}
    data.update(percent=job.percent, finished=job.is_finished)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response
