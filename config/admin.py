"""The back office's admin site, with its dashboard on the index page."""

from django.contrib import admin

from ledger.dashboard import get_dashboard


class WalletAdminSite(admin.AdminSite):
    site_header = "Wallet service back office"
    site_title = "Wallet back office"
    index_title = "Dashboard"
    index_template = "admin/dashboard_index.html"

    def index(self, request, extra_context=None):
        return super().index(request, {**(extra_context or {}), "dashboard": get_dashboard()})
