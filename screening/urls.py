"""URL patterns, one namespace per audience. Included from ``clinic/urls.py``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from screening.views import desk, manage, review

accounts = (
    [
        path(
            "login/",
            auth_views.LoginView.as_view(redirect_authenticated_user=True),
            name="login",
        ),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    ],
    "accounts",
)

desk_urls = (
    [
        path("", desk.board, name="board"),
    ],
    "desk",
)

review_urls = (
    [
        path("", review.queue, name="queue"),
    ],
    "review",
)

manage_urls = (
    [
        path("settings/", manage.clinic_settings, name="settings"),
        path("staff/", manage.staff_list, name="staff"),
        path("audit/", manage.audit_list, name="audit"),
    ],
    "manage",
)
