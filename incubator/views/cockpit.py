"""The agent-entrepreneur's side: "Mes startups", the startup cockpit and its timeline."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import Role
from incubator import selectors, timeline
from incubator.charts import sparkline_svg
from incubator.enums import ExperimentOutcome, MilestoneStatus
from incubator.models import Experiment, Indicator, Measurement, Milestone
from incubator.permissions import can_decide_phase, can_edit_startup, is_network_staff

SOON_DAYS = 30  # "soon due" on the time-in-phase bar


def home(request):
    """/espace/ sends each role to its main page."""
    user = request.user
    if is_network_staff(user) or user.role == Role.COACH:
        return redirect("workspace:board")
    if user.role == Role.TERRITORY:
        return redirect("workspace:territory")
    return redirect("workspace:startup_list")


def startup_list(request):
    startups = (
        selectors.startups_followed_by(user=request.user)
        .select_related("incubator", "cohort")
        .order_by("name")
    )
    return render(request, "incubator/workspace/startup_list.html", {"startups": startups})


def phase_progress(startup, today=None) -> dict | None:
    """Time spent in the current phase against its maximum, with a DSFR status."""
    if startup.phase_deadline is None or startup.phase_since is None:
        return None
    today = today or timezone.localdate()
    total = max((startup.phase_deadline - startup.phase_since).days, 1)
    spent = (today - startup.phase_since).days
    remaining = (startup.phase_deadline - today).days
    if remaining < 0:
        status, label = "error", _("Phase dépassée de %(days)d jours") % {"days": -remaining}
    elif remaining <= SOON_DAYS:
        status, label = "warning", _("Échéance dans %(days)d jours") % {"days": remaining}
    else:
        status, label = "success", _("Encore %(days)d jours") % {"days": remaining}
    return {
        "percent": max(0, min(100, round(spent * 100 / total))),
        "spent_days": spent,
        "status": status,
        "label": label,
    }


def startup_detail(request, slug):
    """The cockpit: where the startup stands, what is due, how its indicators move."""
    startup = get_object_or_404(
        selectors.startups_visible_to(user=request.user).select_related(
            "incubator", "cohort__program"
        ),
        slug=slug,
    )
    indicators = list(
        Indicator.objects.filter(startup=startup).prefetch_related(
            Prefetch("measurements", queryset=Measurement.objects.order_by("date"))
        )
    )
    for indicator in indicators:
        values = [m.value for m in indicator.measurements.all()]
        indicator.latest = indicator.measurements.all()[len(values) - 1] if values else None
        indicator.chart = sparkline_svg(
            values[-24:],
            label=_("Évolution de « %(name)s » : %(count)d mesures, dernière valeur %(last)s")
            % {"name": indicator.name, "count": len(values), "last": values[-1] if values else "—"},
        )
    last_review = startup.reviews.filter(archived_at__isnull=True).order_by("-date").first()
    context = {
        "startup": startup,
        "progress": phase_progress(startup),
        "next_review_date": last_review.next_review_date if last_review else None,
        "milestones": Milestone.objects.filter(startup=startup).order_by("-due_date", "-pk")[:6],
        "running_experiments": Experiment.objects.filter(
            startup=startup, outcome=ExperimentOutcome.RUNNING
        ).select_related("territory"),
        "indicators": indicators,
        "events": timeline.startup_timeline(
            startup, with_coach_notes=can_decide_phase(request.user, startup)
        )[:10],
        "can_edit": can_edit_startup(request.user, startup),
        "can_decide": can_decide_phase(request.user, startup),
        "planned_status": MilestoneStatus.PLANNED,
        "timeline_url": reverse("workspace:startup_timeline", args=[startup.slug]),
    }
    return render(request, "incubator/workspace/startup_detail.html", context)


def startup_timeline(request, slug):
    startup = get_object_or_404(selectors.startups_visible_to(user=request.user), slug=slug)
    return render(
        request,
        "incubator/workspace/startup_timeline.html",
        {
            "startup": startup,
            "events": timeline.startup_timeline(
                startup, with_coach_notes=can_decide_phase(request.user, startup)
            ),
        },
    )
