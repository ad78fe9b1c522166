"""The project's URLs, with a minimal Django view first as the ceiling of bench/load.py."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


@login_not_required
def minimal(request):
    """The cheapest response through the whole middleware stack: no template, no query.

    Plain text, so the public page cache leaves it alone.
    """
    return HttpResponse("ok", content_type="text/plain")


# First: Wagtail's catch-all page route ends the project's list.
urlpatterns = [path("__bench__/minimal/", minimal), *project_urlpatterns]
