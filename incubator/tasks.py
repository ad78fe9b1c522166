"""Background tasks of the lifecycle (django-tasks): arguments are ids and ISO dates.

Each notification task re-reads the database, checks the notice is still
due (the queue may run it later), and sends through `notifications.send_once`
so a retried or duplicated task never sends twice. Each returns how many
e-mails it sent.
"""

import datetime
import functools
import gc

from django.contrib.auth import get_user_model

from django_tasks import task

from incubator import notifications
from incubator.models import PhaseTransition
from incubator.services import reports


@task()
def send_phase_decision(transition_id: int) -> int:
    """Tell the team and coaches about a phase decision (not the person who decided)."""
    transition = (
        PhaseTransition.objects.select_related("startup", "decided_by")
        .filter(pk=transition_id)
        .first()
    )
    if transition is None:
        return 0
    return notifications.send_once(
        notifications.phase_decision_key(transition.pk),
        notifications.phase_decision_messages(transition),
    )


@task()
def send_review_reminder(startup_id: int, kind: str, due_date: str, today: str) -> int:
    """Remind coaches and team of a committee due soon or missed, if still so."""
    due, day = datetime.date.fromisoformat(due_date), datetime.date.fromisoformat(today)
    startup = (
        notifications.with_next_review_date(notifications.followed_startups())
        .filter(pk=startup_id)
        .first()
    )
    if (
        startup is None
        or startup.next_review != due
        or notifications.review_kind(due, today=day) != kind
    ):
        return 0  # the committee was held or moved meanwhile
    return notifications.send_once(
        notifications.review_due_key(kind, startup.pk, due),
        notifications.review_messages(startup, kind=kind, due=due, today=day),
    )


@task()
def send_inactivity_reminder(startup_id: int, kind: str, since: str, today: str) -> int:
    """Remind the team, coaches or staff of a silent startup, if it is still silent."""
    day = datetime.date.fromisoformat(today)
    startup = notifications.followed_startups().filter(pk=startup_id).first()
    if (
        startup is None
        or notifications.inactivity_since(startup) != since
        or not notifications.inactivity_level_reached(startup, kind, today=day)
    ):
        return 0  # updated meanwhile
    return notifications.send_once(
        notifications.inactivity_key(kind, startup.pk, since),
        notifications.inactivity_messages(startup, kind=kind),
    )


@task()
def send_weekly_digest(user_id: int, today: str) -> int:
    """One coach's weekly digest of their board's alerts (none if opted out or all clear)."""
    day = datetime.date.fromisoformat(today)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return 0
    return notifications.send_once(
        notifications.digest_key(user.pk, day),
        notifications.digest_messages(user, today=day),
    )


@functools.cache
def _freeze_long_lived_objects() -> None:
    """Move what the process holds once warm (modules, settings, fonts) out of the
    collector's reach, so that a full collection only scans what came after: 1 to 3 ms
    instead of 200 to 300 ms over the worker's ~260,000 objects."""
    gc.collect()
    gc.freeze()


@task()
def generate_report(report_id: int) -> str:
    """Build a queued report's PDF and web version; returns its final status."""
    try:
        return reports.report_run(report_id)
    finally:
        # A report leaves its data and PDF in reference cycles (Django's prefetch caches,
        # reportlab's document and canvas), ~1,000 objects that only a full collection
        # frees. Python runs one rarely in a big heap, so the worker's RSS rose in steps
        # between two (bench/worker_memory.py, docs/reliability.md). Free them now.
        _freeze_long_lived_objects()
        gc.collect()
