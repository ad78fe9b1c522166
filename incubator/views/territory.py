"""The territory référent's view: what their territory sponsors, its lessons and contributions."""

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Subquery, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path

from accounts.security_log import log_event
from incubator.models import Indicator, Lesson, Measurement, Sponsorship, Territory
from incubator.permissions import can_read_commitment, is_network_staff
from programs.models import Contribution


def territories_of(user):
    """The territories a user answers for (all of them for network staff)."""
    if is_network_staff(user):
        return Territory.objects.all()
    return Territory.objects.filter(referents=user)


def territory_dashboard(request):
    territories = territories_of(request.user).order_by("name")
    if not territories.exists():
        raise PermissionDenied
    chosen = request.GET.get("territoire")
    territory = get_object_or_404(territories, slug=chosen) if chosen else territories.first()

    latest_value = Measurement.objects.filter(indicator=OuterRef("pk")).order_by("-date")
    indicators = Indicator.objects.annotate(
        latest_value=Subquery(latest_value.values("value")[:1]),
        latest_date=Subquery(latest_value.values("date")[:1]),
    ).order_by("name")
    sponsorships = (
        Sponsorship.objects.filter(territory=territory, startup__archived_at__isnull=True)
        .select_related("startup__incubator")
        .prefetch_related(Prefetch("startup__indicators", queryset=indicators))
        .order_by("startup__name")
    )
    lessons = (
        Lesson.objects.filter(startup__sponsorships__territory=territory, archived_at__isnull=True)
        .select_related("startup", "failure")
        .order_by("-created")
    )
    contributions = (
        Contribution.objects.filter(territory=territory)
        .select_related("sponsorship__startup")
        .order_by("-due_date", "sponsorship__startup__name")
    )
    totals = contributions.exclude(status="cancelled").aggregate(
        due=Sum("amount_cents"), paid=Sum("paid_cents")
    )
    return render(
        request,
        "incubator/workspace/territory.html",
        {
            "territory": territory,
            "territories": territories,
            "sponsorships": sponsorships,
            "lessons": lessons,
            "contributions": contributions,
            "total_due_cents": totals["due"] or 0,
            "total_paid_cents": totals["paid"] or 0,
        },
    )


def commitment_document(request, pk):
    """A sponsor's signed commitment letter, from the private storage, to those who may read it.

    Anyone else gets a 404: whether a letter exists is not theirs to know.
    """
    sponsorship = get_object_or_404(
        Sponsorship.objects.select_related("startup__incubator", "startup__cohort", "territory"),
        pk=pk,
        startup__archived_at__isnull=True,
    )
    if not sponsorship.commitment_document or not can_read_commitment(request.user, sponsorship):
        raise Http404
    name = sponsorship.commitment_document.name.rsplit("/", 1)[-1]
    # Always a download with a fixed type: a stored file never runs as a page of the site.
    response = FileResponse(
        sponsorship.commitment_document.open("rb"),
        filename=name,
        as_attachment=True,
        content_type="application/pdf"
        if name.lower().endswith(".pdf")
        else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    log_event("commitment_downloaded", request, sponsorship_id=sponsorship.pk)
    return response


urlpatterns = [
    path("territoire/", territory_dashboard, name="territory"),
    path("parrainages/<int:pk>/engagement/", commitment_document, name="commitment_document"),
]
