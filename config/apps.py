from django.contrib.admin.apps import AdminConfig


class WalletAdminConfig(AdminConfig):
    default_site = "config.admin.WalletAdminSite"
