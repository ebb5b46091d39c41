"""The back office's admin site (django-unfold's), with its dashboard on the index page
and a "run reconcile now" page behind a confirmation, which starts a reconcile job."""

import json

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from unfold.sites import UnfoldAdminSite

from jobs.services import running_reconcile, start_reconcile
from ledger.dashboard import DEFAULT_RANGE, get_dashboard
from ledger.permissions import RUN_RECONCILE


class WalletAdminSite(UnfoldAdminSite):
    site_header = "Wallet service back office"
    site_title = "Wallet back office"
    index_title = "Dashboard"
    index_template = "admin/dashboard_index.html"

    def index(self, request, extra_context=None):
        try:
            days = int(request.GET.get("days", DEFAULT_RANGE))
        except ValueError:
            days = DEFAULT_RANGE
        dashboard = get_dashboard(days=days, max_age=settings.DASHBOARD_FIGURES_SECONDS)
        for row in dashboard["assets"]:
            row["chart_json"] = json.dumps(row["chart"])
        # Not super().index(): it builds the app list a second time (the sidebar has its
        # own, `available_apps`) for a template that shows none of it: a few ms a load.
        request.current_app = self.name
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "subtitle": None,
            "index": True,
            "dashboard": dashboard,
            "may_reconcile": request.user.has_perm(RUN_RECONCILE),
            "reconcile_job": running_reconcile(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.index_template, context)

    def login(self, request, extra_context=None):
        # unfold's login form posts no `next`: straight to /admin/login/, land on the
        # dashboard rather than on LOGIN_REDIRECT_URL (a page this service does not have).
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            request.GET = request.GET.copy()
            request.GET[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        return super().login(request, extra_context)

    def get_urls(self):
        run = path("reconcile/", self.admin_view(self.run_reconcile), name="run_reconcile")
        return [run, *super().get_urls()]

    def run_reconcile(self, request: HttpRequest) -> HttpResponse:
        """GET: what running it does; POST with `confirm`: a job running every check and
        keeping the result (jobs.services.start_reconcile; one at a time), then its page.
        The checks read one snapshot and write nothing else, so running them while the
        service posts is safe; they take a few seconds per million entries, longer than a
        request should, hence the job."""
        if not request.user.has_perm(RUN_RECONCILE):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            job = start_reconcile(by=request.user)  # type: ignore[arg-type]  # staff only
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        return TemplateResponse(
            request,
            "admin/run_reconcile.html",
            {**self.each_context(request), "title": "Run reconcile now"},
        )


def sidebar_navigation(request: HttpRequest) -> list[dict]:
    """Where each back-office task is done; every other model is under "all applications"."""

    def item(title: str, icon: str, url_name: str, model: str) -> dict:
        return {
            "title": title,
            "icon": icon,
            "link": reverse_lazy(url_name),
            "permission": lambda request: request.user.has_perm(model),
        }

    return [
        {
            "title": "Operate",
            "items": [
                {"title": "Dashboard", "icon": "dashboard", "link": reverse_lazy("admin:index")},
                item(
                    "Users", "person_search", "admin:accounts_user_changelist", "accounts.view_user"
                ),
                item("Wallets", "wallet", "admin:ledger_account_changelist", "ledger.view_account"),
                item(
                    "Transactions",
                    "receipt_long",
                    "admin:ledger_transaction_changelist",
                    "ledger.view_transaction",
                ),
                item("Holds", "lock_clock", "admin:ledger_hold_changelist", "ledger.view_hold"),
                item("Jobs", "work_history", "admin:jobs_job_changelist", "jobs.view_job"),
            ],
        },
        {
            "title": "Watch",
            "items": [
                item(
                    "Reconciliation runs",
                    "fact_check",
                    "admin:ledger_reconciliationrun_changelist",
                    "ledger.view_reconciliationrun",
                ),
                item(
                    "Outbox",
                    "outbox",
                    "admin:ledger_outboxevent_changelist",
                    "ledger.view_outboxevent",
                ),
                item(
                    "Dead letters",
                    "report",
                    "admin:wallets_deadletter_changelist",
                    "wallets.view_deadletter",
                ),
            ],
        },
        {
            "title": "Configure",
            "items": [
                item("Assets", "toll", "admin:ledger_asset_changelist", "ledger.view_asset"),
                item(
                    "Campaigns",
                    "campaign",
                    "admin:rewards_campaign_changelist",
                    "rewards.view_campaign",
                ),
                item("Rewards", "redeem", "admin:rewards_reward_changelist", "rewards.view_reward"),
                item("Tasks", "task_alt", "admin:rewards_task_changelist", "rewards.view_task"),
            ],
        },
    ]
