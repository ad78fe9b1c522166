"""Retention periods of docs/privacy.md, enforced: what has outlived its purpose goes.

`expired_data_purge` is run daily by `manage.py purge_expired_data`. Each kind of
record has one rule below; the periods are those docs/privacy.md states, change
them together.
"""

import datetime
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from incubator.models import NotificationLog
from programs.calls import Application, ApplicationDocument, ApplicationStatus
from programs.payments import StripeEvent

__all__ = [
    "APPLICATION_RETENTION",
    "NOTIFICATION_LOG_RETENTION",
    "STRIPE_EVENT_RETENTION",
    "PurgeSummary",
    "expired_data_purge",
]

# An application never retained: two years after its decision (or after its call closed,
# when nobody decided), long enough to answer an appeal or a second application.
APPLICATION_RETENTION = datetime.timedelta(days=2 * 365)
# A notification's key only stops a re-run from sending it twice, which matters for days;
# a reminder still true after a year (a committee missed for a year) is sent once more.
NOTIFICATION_LOG_RETENTION = datetime.timedelta(days=365)
# Stripe events carry what the payer typed (name, e-mail, address): accounting records,
# kept ten years (Code de commerce, art. L123-22), then emptied. The row stays, so that
# a replayed event is still recognised and the payment keeps its trail.
STRIPE_EVENT_RETENTION = datetime.timedelta(days=10 * 365 + 3)  # + the leap days


@dataclass(frozen=True)
class PurgeSummary:
    """How many records of each kind were (or, in a dry run, would be) purged."""

    sessions: int
    applications: int
    application_files: int
    notification_logs: int
    stripe_payloads: int


def expired_applications(*, now: datetime.datetime) -> QuerySet:
    """Applications never retained whose retention has ended; accepted ones became a
    startup and stay as the record of its selection."""
    cutoff = now - APPLICATION_RETENTION
    return Application.objects.filter(
        Q(status=ApplicationStatus.REJECTED, decided_at__lt=cutoff)
        | Q(
            status__in=[
                ApplicationStatus.DRAFT,
                ApplicationStatus.SUBMITTED,
                ApplicationStatus.SHORTLISTED,
            ],
            call__closes_at__lt=cutoff,
        )
    )


def expired_notification_logs(*, now: datetime.datetime) -> QuerySet:
    return NotificationLog.objects.filter(sent_at__lt=now - NOTIFICATION_LOG_RETENTION)


def expired_stripe_payloads(*, now: datetime.datetime) -> QuerySet:
    return StripeEvent.objects.filter(received_at__lt=now - STRIPE_EVENT_RETENTION).exclude(
        payload={}
    )


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _expired_session_count(*, now: datetime.datetime) -> int:
    """Expired rows of the database session backends; the cache backend expires its own."""
    store_class = _session_store()
    if not hasattr(store_class, "get_model_class"):
        return 0
    return store_class.get_model_class().objects.filter(expire_date__lt=now).count()


def expired_data_purge(*, dry_run: bool = False) -> PurgeSummary:
    """Delete or empty every record past its retention period; returns the counts.

    One transaction: an error leaves everything as it was. Application files are
    deleted from the private storage after the commit (a rollback must not lose them).
    Running it again right away finds nothing: it is safe to re-run.
    """
    now = timezone.now()
    applications = expired_applications(now=now)
    files = list(
        ApplicationDocument.objects.filter(application__in=applications)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    summary = PurgeSummary(
        sessions=_expired_session_count(now=now),
        applications=applications.count(),
        application_files=len(files),
        notification_logs=expired_notification_logs(now=now).count(),
        stripe_payloads=expired_stripe_payloads(now=now).count(),
    )
    if dry_run:
        return summary
    with transaction.atomic():
        # Answers, attachments' rows, scores and comments go with it (CASCADE).
        applications.delete()
        expired_notification_logs(now=now).delete()
        expired_stripe_payloads(now=now).update(payload={})
        private = storages["private"]
        transaction.on_commit(lambda: [private.delete(name) for name in files])
    # Django's own cleanup (`clearsessions`), which knows each backend.
    _session_store().clear_expired()
    return summary
