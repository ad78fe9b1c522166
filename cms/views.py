"""Public views that are not Wagtail pages."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(max_age=86400, public=True)
@login_not_required
def robots_txt(request):
    """Crawlers may read the public site, never the workspaces, accounts or back-office."""
    lines = [
        "User-agent: *",
        "Disallow: /espace/",
        "Disallow: /comptes/",
        "Disallow: /admin/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
