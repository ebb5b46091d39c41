from core.api.routes import PK, api_path
from wallets.api import views

USER = rf"(?P<user>me|{PK})"

urlpatterns = [
    api_path(rf"wallets/{USER}", views.WalletView.as_view(), name="wallet"),
    api_path(rf"wallets/{USER}/transactions", views.HistoryView.as_view(), name="wallet-history"),
    api_path(rf"wallets/{USER}/spend", views.SpendView.as_view(), name="wallet-spend"),
    api_path(rf"wallets/{USER}/transfer", views.TransferView.as_view(), name="wallet-transfer"),
    api_path(rf"wallets/{USER}/convert", views.ConvertView.as_view(), name="wallet-convert"),
    api_path(rf"wallets/{USER}/earn", views.EarnView.as_view(), name="wallet-earn"),
    api_path(rf"wallets/{USER}/topup", views.TopupView.as_view(), name="wallet-topup"),
    api_path(rf"wallets/{USER}/bonus", views.BonusView.as_view(), name="wallet-bonus"),
    api_path(rf"wallets/{USER}/holds", views.HoldCreateView.as_view(), name="wallet-holds"),
    api_path(rf"holds/(?P<hold_id>{PK})", views.HoldDetailView.as_view(), name="hold"),
    api_path(
        rf"holds/(?P<hold_id>{PK})/capture", views.HoldCaptureView.as_view(), name="hold-capture"
    ),
    api_path(rf"holds/(?P<hold_id>{PK})/void", views.HoldVoidView.as_view(), name="hold-void"),
    api_path(
        rf"transactions/(?P<transaction_id>{PK})",
        views.TransactionDetailView.as_view(),
        name="transaction",
    ),
    api_path(
        rf"transactions/(?P<transaction_id>{PK})/reverse",
        views.ReverseView.as_view(),
        name="transaction-reverse",
    ),
    api_path("assets", views.AssetListView.as_view(), name="assets"),
    api_path("conversions", views.ConversionListView.as_view(), name="conversions"),
]
