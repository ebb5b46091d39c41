from accounts.api import views
from core.api.routes import api_path

urlpatterns = [
    api_path("auth/signup", views.SignupView.as_view(), name="auth-signup"),
    api_path("auth/login", views.LoginView.as_view(), name="auth-login"),
    api_path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    api_path("auth/me", views.MeView.as_view(), name="auth-me"),
]
