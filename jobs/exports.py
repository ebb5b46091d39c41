"""Exports too long for a request (core.exports hands them over), run as jobs.

The job keeps the export's order (core.exports.ExportOrder: which admin, its list or a
wallet's statement, the list's query string, the format) and reads the list again in
the worker through that admin's `get_export_source`, as the user who started it: the
same filters, search, ordering and columns as the inline export, and that user's view
permission checked again when the job runs (it may have been withdrawn meanwhile).

Rows go to a local temporary file as they are read (constant memory), then into the
job's result file. A job run again after its worker died starts the file again from
the first row: an export moves no value, so nothing is lost or doubled, only time.
"""

import tempfile
from dataclasses import asdict
from pathlib import Path

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.urls import reverse

from accounts.models import User
from core.exports import (
    ExportOrder,
    ExportSource,
    counted,
    export_filename,
    export_rows,
    write_export,
)
from jobs.models import Job
from jobs.services import ACTIVE, JobRefused, Progress, dispatch


def order_of(job: Job) -> ExportOrder:
    return ExportOrder(**job.options["export"])


def source_admin(order: ExportOrder):
    """The admin (of the admin site) whose list or statement the order exports."""
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        named = (opts.app_label, opts.model_name) == (order.app_label, order.model_name)
        if named and hasattr(model_admin, "get_export_source"):
            return model_admin
    raise JobRefused(f"{order.app_label}.{order.model_name} has no export.")


def request_as(user: User, order: ExportOrder) -> HttpRequest:
    """A GET of the list's page by `user`: what the admin's changelist reads its filters,
    search and ordering from."""
    request = HttpRequest()
    request.method = "GET"
    name = f"admin:{order.app_label}_{order.model_name}_changelist"
    request.path = request.path_info = reverse(name)
    request.GET = QueryDict(order.query)
    request.META = {"SERVER_NAME": "jobs", "SERVER_PORT": "80"}
    request.user = user
    return request


def may_export(user: User | None, order: ExportOrder) -> bool:
    """Whether `user` may still view the list the order exports (its admin's view
    permission; no changelist is built, which would count the list)."""
    if user is None or not (user.is_active and user.is_staff):
        return False
    try:
        return source_admin(order).has_view_permission(request_as(user, order))
    except JobRefused:
        return False


def describe(order: ExportOrder) -> str:
    what = f"{order.app_label}.{order.model_name}"
    if order.what == "statement":
        what = f"statement of wallet {order.object_id}"
    return f"{what}{'?' + order.query if order.query else ''} ({order.format.upper()})"


def start_export(request: HttpRequest, order: ExportOrder) -> str:
    """core.exports' starter: a queued EXPORT job for the order, and its page's address.
    The same user's same export, still queued or running, is reused (a second click)."""
    user = request.user
    assert isinstance(user, User)
    options = {"export": asdict(order)}
    with transaction.atomic():
        job = Job.objects.filter(
            kind=Job.Kind.EXPORT, status__in=ACTIVE, started_by=user, options=options
        ).first()
        if job is None:
            job = Job.objects.create(
                kind=Job.Kind.EXPORT,
                status=Job.Status.QUEUED,
                started_by=user,
                options=options,
                input_name=describe(order)[:255],
            )
            queued = job.pk
            transaction.on_commit(lambda: dispatch(queued))
    return reverse("admin:jobs_job_change", args=[job.pk])


def run_export(job: Job, progress: Progress) -> dict:
    order = order_of(job)
    if job.started_by is None:
        raise JobRefused("Nobody started this export.")
    if not may_export(job.started_by, order):
        raise JobRefused(f"{job.started_by} may not view this list any more.")
    request = request_as(job.started_by, order)
    try:
        source: ExportSource = source_admin(order).get_export_source(request, order)
    except PermissionDenied:
        raise JobRefused(f"{job.started_by} may not view this list any more.") from None
    except IncorrectLookupParameters:
        raise JobRefused("The list's filters are not valid.") from None
    total = source.queryset.count()
    progress(0, total)
    filename = export_filename(source.name, order.format)
    written = 0

    def report(done: int) -> None:
        nonlocal written
        written = done
        progress(done)

    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / filename
        with local.open("wb") as stream:
            rows = counted(export_rows(source.queryset, source.resource), report)
            write_export(rows, stream, format=order.format, title=source.name)
        with local.open("rb") as written_file:
            job.result_file.save(f"job-{job.pk}-{filename}", File(written_file), save=False)
        Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)
    return {"done": written, "rows": written, "file": filename}
