"""The baseline of bench_wizard.py: a bare Django view under Gunicorn.

One view returning a small HttpResponse, no middleware, no database, no templates, debug off:
what Django and Gunicorn cost on this machine before the app adds anything. Run from this
directory: ``gunicorn --workers 2 --bind 127.0.0.1:PORT bare_app:application``.
"""

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

BODY = b"ok " * 100  # about the size of a small page's headers and a line of text


def bare(request):
    return HttpResponse(BODY, content_type="text/plain; charset=utf-8")


urlpatterns = [path("", bare)]

settings.configure(
    DEBUG=False,
    SECRET_KEY="bare-baseline-of-the-wizard-bench-not-a-secret-" + "x" * 20,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
)

application = get_wsgi_application()
