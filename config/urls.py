from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views
from core.observability.views import metrics_view
from ledger.metrics import OutboxCollector

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("wallets.api.urls")),
    path("", include("rewards.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("integrations.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/asyncapi/", views.asyncapi, name="asyncapi"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_view(collectors=[OutboxCollector()]), name="metrics"),
]
