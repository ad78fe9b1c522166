"""The committee calendar: a cohort's next reviews as a page, a coach's as an iCalendar feed.

The page is in the coach's workspace (/espace/). The feed lives outside it, at a
private token URL calendar apps subscribe to without a session: the token is a
random secret per user, created on first use and rotated on request.
"""

import datetime
import itertools
import secrets

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from icalendar import Calendar, Event

from incubator import selectors
from incubator.notifications import followed_startups, with_next_review_date

TEMPLATES = "incubator/workspace/calendar/"


# --- The private token --------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_token_for(user) -> str:
    """The user's feed token, created on first use."""
    if not user.calendar_token:
        _store_new_token(user, only_if_missing=True)
    return user.calendar_token


def calendar_token_rotate(user) -> str:
    """A new token: the old feed URL stops working at once."""
    _store_new_token(user, only_if_missing=False)
    return user.calendar_token


def _store_new_token(user, *, only_if_missing: bool) -> None:
    users = get_user_model().objects.filter(pk=user.pk)
    for _attempt in range(3):  # a collision of 256 random bits will not happen; still
        token = _new_token()
        try:
            with transaction.atomic():
                if only_if_missing:
                    # Two concurrent first visits must not hand out two different URLs.
                    users.filter(calendar_token__isnull=True).update(calendar_token=token)
                    user.calendar_token = users.values_list("calendar_token", flat=True).get()
                else:
                    users.update(calendar_token=token)
                    user.calendar_token = token
            return
        except IntegrityError:
            continue
    raise RuntimeError("Could not generate a unique calendar token.")


def feed_url(request, user) -> str:
    return request.build_absolute_uri(
        reverse("calendar_feed", kwargs={"token": calendar_token_for(user)})
    )


# --- Reading the next reviews -------------------------------------------------------


def _next_reviews(startups):
    """Startups still followed, annotated with `next_review` (None when none is set)."""
    return with_next_review_date(followed_startups().filter(pk__in=startups.values("pk"))).order_by(
        "next_review", "name", "pk"
    )


def _by_month(startups, today: datetime.date):
    """[{"month": first day, "entries": [{"startup", "date", "overdue"}]}] in date order."""
    entries = [
        {"startup": s, "date": s.next_review, "overdue": s.next_review < today} for s in startups
    ]
    return [
        {"month": datetime.date(year, month, 1), "entries": list(group)}
        for (year, month), group in itertools.groupby(
            entries, key=lambda e: (e["date"].year, e["date"].month)
        )
    ]


# --- The cohort page ----------------------------------------------------------------


def _cohort_for(request, slug):
    """A cohort this user coaches (or its incubator's coaches, or staff); else a 404."""
    cohorts = selectors.report_cohorts_for(user=request.user).select_related("program")
    return get_object_or_404(cohorts, slug=slug)


@require_GET
def cohort_calendar(request, slug):
    cohort = _cohort_for(request, slug)
    today = timezone.localdate()
    startups = _next_reviews(selectors.startups_coached_by(user=request.user).filter(cohort=cohort))
    scheduled, unscheduled = [], []
    for startup in startups:
        (scheduled if startup.next_review else unscheduled).append(startup)
    return render(
        request,
        TEMPLATES + "cohort_calendar.html",
        {
            "cohort": cohort,
            "months": _by_month(scheduled, today),
            "overdue_count": sum(s.next_review < today for s in scheduled),
            "unscheduled": unscheduled,
            "feed_url": feed_url(request, request.user),
        },
    )


@require_POST
def cohort_calendar_token_rotate(request, slug):
    cohort = _cohort_for(request, slug)
    calendar_token_rotate(request.user)
    messages.success(
        request,
        _("Nouveau lien d’abonnement créé : l’ancien lien ne fonctionne plus."),
    )
    return redirect("workspace:cohort_calendar", slug=cohort.slug)


# --- The iCalendar feed -------------------------------------------------------------


@login_not_required
@require_GET
def calendar_feed(request, token):
    """The next review of every startup the token's owner coaches, one all-day event each."""
    user = get_user_model().objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        return HttpResponseNotFound()
    host = request.get_host().split(":")[0]
    now = timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Territoires Lab//Calendrier des comités//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Comités de mes startups"))
    startups = _next_reviews(selectors.startups_coached_by(user=user)).filter(
        next_review__isnull=False
    )
    for startup in startups:
        event = Event()
        event.add("uid", f"comite-{startup.pk}-{startup.next_review:%Y%m%d}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", startup.next_review)
        event.add("dtend", startup.next_review + datetime.timedelta(days=1))
        event.add("summary", _("Comité : %(startup)s") % {"startup": startup.name})
        event.add(
            "url",
            request.build_absolute_uri(
                reverse("workspace:startup_detail", kwargs={"slug": startup.slug})
            ),
        )
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="comites.ics"'
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, no_store=True)
    return response


urlpatterns = [
    path("promotions/<slug:slug>/calendrier/", cohort_calendar, name="cohort_calendar"),
    path(
        "promotions/<slug:slug>/calendrier/regenerer/",
        cohort_calendar_token_rotate,
        name="cohort_calendar_token_rotate",
    ),
]
