from core.api.routes import PK, api_path
from wallets.api.views import catalog, history, holds, movements, transactions, wallets

USER = rf"(?P<user>me|{PK})"
HOLD = rf"holds/(?P<hold_id>{PK})"
TRANSACTION = rf"transactions/(?P<transaction_id>{PK})"

urlpatterns = [
    api_path(rf"wallets/{USER}", wallets.WalletView.as_view(), name="wallet"),
    api_path(rf"wallets/{USER}/transactions", history.HistoryView.as_view(), name="wallet-history"),
    api_path(rf"wallets/{USER}/spend", movements.SpendView.as_view(), name="wallet-spend"),
    api_path(rf"wallets/{USER}/transfer", movements.TransferView.as_view(), name="wallet-transfer"),
    api_path(rf"wallets/{USER}/convert", movements.ConvertView.as_view(), name="wallet-convert"),
    api_path(rf"wallets/{USER}/earn", movements.EarnView.as_view(), name="wallet-earn"),
    api_path(rf"wallets/{USER}/topup", movements.TopupView.as_view(), name="wallet-topup"),
    api_path(rf"wallets/{USER}/bonus", movements.BonusView.as_view(), name="wallet-bonus"),
    api_path(rf"wallets/{USER}/holds", holds.HoldCreateView.as_view(), name="wallet-holds"),
    api_path(HOLD, holds.HoldDetailView.as_view(), name="hold"),
    api_path(rf"{HOLD}/capture", holds.HoldCaptureView.as_view(), name="hold-capture"),
    api_path(rf"{HOLD}/void", holds.HoldVoidView.as_view(), name="hold-void"),
    api_path(TRANSACTION, transactions.TransactionDetailView.as_view(), name="transaction"),
    api_path(
        rf"{TRANSACTION}/reverse", transactions.ReverseView.as_view(), name="transaction-reverse"
    ),
    api_path("assets", catalog.AssetListView.as_view(), name="assets"),
    api_path("conversions", catalog.ConversionListView.as_view(), name="conversions"),
]
