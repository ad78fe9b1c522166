"""Everything that happened to a startup, newest first, as plain rows for templates."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from incubator.models import Experiment, Failure, Milestone, PhaseTransition, Review, Startup


@dataclass(frozen=True)
class TimelineEvent:
    date: datetime.date
    kind: str  # transition, review, milestone, experiment, failure: drives the icon
    title: str
    detail: str
    coach_notes: str = ""  # a committee's notes for coaches: filled only for them


def startup_timeline(startup: Startup, *, with_coach_notes: bool = False) -> list[TimelineEvent]:
    """Transitions, reviews, milestones, experiments and failures in one list (5 queries).

    `with_coach_notes` only for the startup's coaches and staff: the team never reads them.
    """
    events = [
        TimelineEvent(
            t.date,
            "transition",
            _("%(kind)s : %(phase)s")
            % {"kind": t.get_kind_display(), "phase": t.get_to_phase_display()},
            t.rationale,
        )
        for t in PhaseTransition.objects.filter(startup=startup)
    ]
    events += [
        TimelineEvent(
            r.date,
            "review",
            _("Comité : %(decision)s") % {"decision": r.get_decision_display()},
            r.conditions or r.notes,
            r.coach_notes if with_coach_notes else "",
        )
        for r in Review.objects.filter(startup=startup, archived_at__isnull=True)
    ]
    events += [
        TimelineEvent(
            m.achieved_on or m.due_date or m.created.date(),
            "milestone",
            _("Jalon %(status)s : %(title)s")
            % {"status": m.get_status_display().lower(), "title": m.title},
            m.description,
        )
        for m in Milestone.objects.filter(startup=startup)
    ]
    events += [
        TimelineEvent(
            e.end_date or e.start_date,
            "experiment",
            _("Expérimentation (%(outcome)s) : %(hypothesis)s")
            % {"outcome": e.get_outcome_display().lower(), "hypothesis": e.hypothesis},
            e.learnings,
        )
        for e in Experiment.objects.filter(startup=startup)
    ]
    events += [
        TimelineEvent(
            f.occurred_on,
            "failure",
            _("Échec : %(scope)s") % {"scope": f.get_scope_display().lower()},
            f.what_we_learned,
        )
        for f in Failure.objects.filter(startup=startup, archived_at__isnull=True)
    ]
    return sorted(events, key=lambda event: event.date, reverse=True)
