"""Jobs in the admin: upload a bulk-transfer file (validated before anything is posted),
start it, start a campaign, and watch any job (those too: a long export, a
reconciliation) run on the job's page, which polls a small JSON view. Pages extend
admin/base_site.html and use unfold's classes, like the other back-office pages."""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminFileFieldWidget

from accounts.models import User
from core.amounts import format_amount
from core.exports import FORMATS, register_export_starter
from jobs import exports, services
from jobs.models import Job
from ledger import permissions
from rewards.campaigns import audience_cost
from rewards.models import Campaign
from wallets.bulk import COLUMNS

START_JOB = "jobs.start_job"
# Shown in the page; the rest are counted.
SHOWN_ERRORS = 200


def operator(request: HttpRequest) -> User:
    """The staff member acting: the admin only serves logged-in staff."""
    return cast(User, request.user)


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        widget=UnfoldAdminFileFieldWidget,
        help_text=f"CSV with the header {','.join(COLUMNS)}; from/to is a user's email or a "
        "system account (TREASURY, BONUS, DONATION:cause...). Each row's reference is its "
        "idempotency key: a row posted before is never posted again.",
    )


def may_start_bulk(request: HttpRequest) -> bool:
    # A bulk transfer credits and debits any wallet: the powers of an adjustment.
    perms = [START_JOB, permissions.CREDIT_ANY_WALLET, permissions.DEBIT_ANY_WALLET]
    return request.user.has_perms(perms)


def may_start_campaign(request: HttpRequest) -> bool:
    return request.user.has_perms([START_JOB, permissions.CREDIT_ANY_WALLET])


def may_start(request: HttpRequest, job: Job) -> bool:
    """Whether the user may start (or run again) this job."""
    if job.kind == Job.Kind.EXPORT:
        return exports.may_export(operator(request), exports.order_of(job))
    if job.kind == Job.Kind.RECONCILE:
        return request.user.has_perm(permissions.RUN_RECONCILE)
    if job.kind == Job.Kind.CAMPAIGN:
        return may_start_campaign(request)
    return may_start_bulk(request)


# A list longer than settings.EXPORTS_INLINE_MAX_ROWS becomes an export job.
register_export_starter(exports.start_export)


def job_state(job: Job) -> dict:
    """What the job's page polls for."""
    result = reverse("admin:jobs_job_result", args=[job.pk]) if job.result_file else ""
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "finished": job.status in Job.FINISHED,
        "summary": job.summary,
        "errors": job.errors[:SHOWN_ERRORS],
        "result_url": result,
        "attempts": job.attempts,
        "worker": job.worker,
    }


@admin.register(Job)
class JobAdmin(ModelAdmin):
    list_display = ["id", "kind", "status", "progress", "input_name", "campaign", "started_by"]
    list_display += ["created_at", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["campaign", "started_by"]
    change_list_template = "admin/jobs/job/change_list.html"

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # jobs are made by uploading a file or starting a campaign

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="progress")
    def progress(self, job: Job) -> str:
        return format_html("{} / {} ({}%)", job.done, job.total, job.percent)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("bulk-transfer/", view(self.bulk_upload_view), name="jobs_job_bulk_upload"),
            path(
                "campaign/<int:campaign_id>/start/",
                view(self.start_campaign_view),
                name="jobs_job_start_campaign",
            ),
            path("<int:pk>/status/", view(self.status_view), name="jobs_job_status"),
            path("<int:pk>/start/", view(self.start_view), name="jobs_job_start"),
            path("<int:pk>/rerun/", view(self.rerun_view), name="jobs_job_rerun"),
            path("<int:pk>/result/", view(self.result_view), name="jobs_job_result"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, **context) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, **context}

    def _job(self, request: HttpRequest, pk: int) -> Job:
        job = get_object_or_404(Job.objects.select_related("campaign__asset", "started_by"), pk=pk)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The job's page: what it is, its progress bar, its outcome."""
        job = self._job(request, int(object_id))
        return TemplateResponse(
            request,
            "admin/jobs/job_page.html",
            self._context(
                request,
                title=f"Job #{job.pk}: {job.get_kind_display()}",
                job=job,
                state=job_state(job),
                may_start=may_start(request, job),
                can_rerun=services.can_rerun(job),
            ),
        )

    def status_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        return JsonResponse(job_state(self._job(request, pk)))

    def bulk_upload_view(self, request: HttpRequest):
        if not may_start_bulk(request):
            raise PermissionDenied
        form = BulkUploadForm(request.POST or None, request.FILES or None)
        check = None
        if request.method == "POST" and form.is_valid():
            job, check = services.create_bulk_job(
                upload=form.cleaned_data["file"], by=operator(request)
            )
            if job is not None:
                self.log_addition(request, job, f"Uploaded {job.input_name}: {check.rows} rows")
                return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        return TemplateResponse(
            request,
            "admin/jobs/bulk_upload.html",
            self._context(
                request,
                title="Bulk transfer: upload a file",
                form=form,
                check=check,
                shown_errors=check.errors[:SHOWN_ERRORS] if check else [],
                columns=",".join(COLUMNS),
            ),
        )

    @staticmethod
    def _post_only(request: HttpRequest) -> None:
        if request.method != "POST":
            raise Http404("POST only")

    def start_view(self, request: HttpRequest, pk: int):
        self._post_only(request)
        job = self._job(request, pk)
        if job.kind != Job.Kind.BULK_TRANSFER or not may_start_bulk(request):
            raise PermissionDenied
        try:
            services.start_job(job, by=operator(request))
        except services.JobRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.log_change(request, job, "Started")
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))

    def rerun_view(self, request: HttpRequest, pk: int):
        self._post_only(request)
        job = self._job(request, pk)
        if not may_start(request, job):
            raise PermissionDenied
        try:
            services.rerun_job(job, by=operator(request))
        except services.JobRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.log_change(request, job, "Run again")
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))

    def result_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = self._job(request, pk)
        if not job.result_file:
            raise Http404("no result file yet")
        filename, content_type = f"job-{job.pk}-result.csv", "text/csv"
        if job.kind == Job.Kind.EXPORT:
            # The rows of a list: only for who may view that list now.
            order = exports.order_of(job)
            if not exports.may_export(operator(request), order):
                raise PermissionDenied
            filename = job.summary.get("file") or f"job-{job.pk}.{order.format}"
            content_type = FORMATS[order.format]
        return FileResponse(
            job.result_file.open("rb"),
            as_attachment=True,
            filename=filename,
            content_type=content_type,
        )

    def start_campaign_view(self, request: HttpRequest, campaign_id: int):
        """The audience's size and the total cost, then a job paying it."""
        if not may_start_campaign(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign.objects.select_related("asset"), pk=campaign_id)
        if request.method == "POST":
            try:
                job = services.start_campaign(campaign, by=operator(request))
            except services.JobRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                change = reverse("admin:rewards_campaign_change", args=[campaign.pk])
                return HttpResponseRedirect(change)
            self.log_addition(request, job, f"Started campaign {campaign.pk}")
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        users, cost = audience_cost(campaign)
        return TemplateResponse(
            request,
            "admin/jobs/start_campaign.html",
            self._context(
                request,
                title=f"Start campaign {campaign.name}",
                campaign=campaign,
                users=users,
                each=format_amount(campaign.amount, scale=campaign.asset.scale),
                cost=format_amount(cost, scale=campaign.asset.scale),
            ),
        )
