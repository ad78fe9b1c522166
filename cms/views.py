"""Public views that are not Wagtail pages."""

import datetime

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
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


@require_GET
@login_not_required
def security_txt(request):
    """RFC 9116: where to report a vulnerability. A 404 until the operator names a contact
    (Wagtail, Paramètres → Identité du site)."""
    from cms.models import SiteIdentity

    identity = SiteIdentity.for_request(request)
    if not identity.security_contact.strip():
        raise Http404
    # Expires is required, at most a year ahead: one year from each reading.
    expires = timezone.now() + datetime.timedelta(days=365)
    lines = [
        f"Contact: {identity.security_contact_uri}",
        f"Expires: {expires.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}",
        "Preferred-Languages: fr, en",
        f"Canonical: {request.build_absolute_uri(reverse('security_txt'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
