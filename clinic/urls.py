"""Root URL configuration: configuration only, the patterns live in ``screening.urls``."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from screening import urls as screening_urls
from screening.views import core


class StaffAdminSite(OTPAdminSite):
    """The admin site asks for the second factor too (its sign-in form takes the code), while
    DJANGO_STAFF_2FA is on."""

    def has_permission(self, request):
        if settings.STAFF_2FA:
            return super().has_permission(request)
        return admin.AdminSite.has_permission(self, request)


admin.site.__class__ = StaffAdminSite

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("accounts/", include(screening_urls.accounts)),
    path("desk/", include(screening_urls.desk_urls)),
    path("review/", include(screening_urls.review_urls)),
    path("manage/", include(screening_urls.manage_urls)),
    path("api/fhir/", include("screening.api.urls")),
    path("", include(screening_urls.patient_urls)),
    path("admin/", admin.site.urls),
]

handler400 = "screening.views.core.bad_request"
handler403 = "screening.views.core.permission_denied"
handler404 = "screening.views.core.page_not_found"
handler500 = "screening.views.core.server_error"
