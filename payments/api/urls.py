from core.api.routes import PK, api_path
from payments.api.views import deposits, payments, providers, withdrawals

USER = rf"(?P<user>me|{PK})"
ID = rf"(?P<id>{PK})"
WITHDRAWAL = rf"withdrawals/{ID}"

urlpatterns = [
    api_path(rf"wallets/{USER}/deposits", deposits.DepositCreateView.as_view(), name="deposits"),
    api_path(rf"deposits/{ID}", deposits.DepositDetailView.as_view(), name="deposit"),
    api_path(
        r"providers/(?P<name>[a-z][a-z0-9_-]{0,31})/callback",
        providers.ProviderCallbackView.as_view(),
        name="provider-callback",
    ),
    api_path(
        rf"wallets/{USER}/withdrawals",
        withdrawals.WithdrawalCreateView.as_view(),
        name="withdrawals",
    ),
    api_path(WITHDRAWAL, withdrawals.WithdrawalDetailView.as_view(), name="withdrawal"),
    api_path(rf"{WITHDRAWAL}/cancel", withdrawals.WithdrawalCancelView.as_view(), name="wd-cancel"),
    api_path(
        rf"{WITHDRAWAL}/approve", withdrawals.WithdrawalApproveView.as_view(), name="wd-approve"
    ),
    api_path(rf"{WITHDRAWAL}/reject", withdrawals.WithdrawalRejectView.as_view(), name="wd-reject"),
    api_path(rf"{WITHDRAWAL}/send", withdrawals.WithdrawalSendView.as_view(), name="wd-send"),
    api_path(
        rf"{WITHDRAWAL}/complete", withdrawals.WithdrawalCompleteView.as_view(), name="wd-complete"
    ),
    api_path(rf"{WITHDRAWAL}/fail", withdrawals.WithdrawalFailView.as_view(), name="wd-fail"),
    api_path(
        rf"wallets/{USER}/payments", payments.PaymentCreateView.as_view(), name="payments-pay"
    ),
    api_path("payments", payments.PaymentListView.as_view(), name="payments"),
    api_path(rf"payments/{ID}", payments.PaymentDetailView.as_view(), name="payment"),
    api_path(rf"payments/{ID}/refunds", payments.RefundCreateView.as_view(), name="refunds"),
]
