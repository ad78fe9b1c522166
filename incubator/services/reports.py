"""Generated reports: request, background run, retry, recovery and publication.

A request is a `Report` row (queued) and a task enqueued after the commit;
the row, not the task queue, is the source of truth. The task claims the
row with a conditional update, so a duplicated or replayed task does
nothing; a worker that dies leaves a "running" row whose heartbeat stops,
which `reports_recover` (run by `manage.py recover_reports`) queues again: at
once when that process ran on this host and is gone (run it before each worker
starts), else once its heartbeat is older than `REPORT_STALE_AFTER`.
"""

from __future__ import annotations

import datetime
import errno
import hashlib
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.security_log import log_event
from incubator.enums import PUBLISHABLE_REPORT_KINDS, ReportKind, ReportStatus, Visibility
from incubator.exceptions import IncubatorError
from incubator.models import Incubator, Report, Startup, Territory
from incubator.reports import data, data_network, pdf, pdf_network
from incubator.reports.formatting import fr_date
from incubator.reports.html import render_report_html
from programs.models import Cohort

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "REPORT_MAX_ATTEMPTS",
    "REPORT_STALE_AFTER",
    "report_is_stale",
    "report_publish",
    "report_request",
    "report_retry",
    "report_run",
    "report_unpublish",
    "reports_recover",
]

logger = logging.getLogger(__name__)

# A running report that gave no sign of life for this long lost its worker.
REPORT_STALE_AFTER = datetime.timedelta(minutes=10)
REPORT_MAX_ATTEMPTS = 3
EARLIEST_PERIOD = datetime.date(2000, 1, 1)

_SUBJECT_FIELD = {
    ReportKind.STARTUP: "startup",
    ReportKind.COHORT: "cohort",
    ReportKind.TERRITORY: "territory",
    ReportKind.INCUBATOR: "incubator",
}
_SUBJECT_MODEL = {
    ReportKind.STARTUP: Startup,
    ReportKind.COHORT: Cohort,
    ReportKind.TERRITORY: Territory,
    ReportKind.INCUBATOR: Incubator,
}


class _Superseded(Exception):
    """The report was queued again while this run was finishing."""


def _enqueue(report_id: int) -> None:
    from incubator import tasks  # the task module imports this one

    result = tasks.generate_report.enqueue(report_id)
    Report.objects.filter(pk=report_id, task_id="").update(task_id=str(result.id)[:64])


def report_request(
    *,
    kind: str,
    subject,
    start: datetime.date,
    end: datetime.date,
    public: bool,
    user: User,
    today: datetime.date | None = None,
) -> Report:
    """Queue the generation of a report; the caller has checked that `user` may ask for it.

    Asking again for the same report while one is queued or running returns
    that one (a double click makes one report). Otherwise each request is a
    new version, numbered per subject, period and version (public/internal).
    """
    today = today or timezone.localdate()
    kind = ReportKind(kind)
    if not isinstance(subject, _SUBJECT_MODEL[kind]):
        raise IncubatorError(_("Ce rapport ne porte pas sur ce type d’objet."))
    if start > end:
        raise IncubatorError(_("La période est vide : le début est postérieur à la fin."))
    if start < EARLIEST_PERIOD or start > today:
        raise IncubatorError(
            _("La période doit commencer entre le %(first)s et aujourd’hui.")
            % {"first": fr_date(EARLIEST_PERIOD)}
        )
    if kind == ReportKind.INCUBATOR and (
        start != datetime.date(start.year, 1, 1) or end != datetime.date(start.year, 12, 31)
    ):
        raise IncubatorError(_("Le rapport annuel d’un incubateur porte sur une année civile."))
    if kind == ReportKind.STARTUP and public and subject.visibility != Visibility.PUBLIC:
        raise IncubatorError(
            _("« %(name)s » est une startup privée : elle n’a pas de rapport public.")
            % {"name": subject.name}
        )

    same = Report.objects.filter(
        kind=kind,
        period_start=start,
        period_end=end,
        is_public=public,
        **{_SUBJECT_FIELD[kind]: subject},
    )
    with transaction.atomic():
        pending = same.filter(status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING]).first()
        if pending is not None:
            return pending
        version = (same.aggregate(last=Max("version"))["last"] or 0) + 1
        report = Report.objects.create(
            kind=kind,
            subject_name=subject.name[:200],
            period_start=start,
            period_end=end,
            is_public=public,
            version=version,
            requested_by=user,
            **{_SUBJECT_FIELD[kind]: subject},
        )
        transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def _step(report_id: int, progress: int) -> None:
    Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
        progress=progress, heartbeat_at=timezone.now()
    )


def _assemble(report: Report, today: datetime.date):
    """The report's data, from the same functions the command and the bench use."""
    period = {"start": report.period_start, "end": report.period_end}
    common = {"public": report.is_public, "today": today}
    if report.kind == ReportKind.STARTUP:
        return data.startup_report_data(startup=report.startup, **period, **common)
    if report.kind == ReportKind.COHORT:
        return data.cohort_report_data(cohort=report.cohort, **period, **common)
    if report.kind == ReportKind.TERRITORY:
        return data_network.territory_report_data(territory=report.territory, **period, **common)
    return data_network.incubator_report_data(
        incubator=report.incubator, year=report.period_start.year, **common
    )


def _render_pdf(report: Report, report_data) -> bytes:
    return {
        ReportKind.STARTUP: pdf.render_startup_report,
        ReportKind.COHORT: pdf.render_cohort_report,
        ReportKind.TERRITORY: pdf_network.render_territory_report,
        ReportKind.INCUBATOR: pdf_network.render_incubator_report,
    }[report.kind](report_data)


def _store_pdf(storage, content: bytes) -> str:
    """Write the PDF under a new name; if writing fails (disk full), remove what was written.

    No row points at the new name until the run is marked done in the same step, so
    nobody ever reads a half-written file, and none is left behind on a failure.
    """
    name = f"reports/{uuid.uuid4().hex}.pdf"
    try:
        return storage.save(name, ContentFile(content))
    except BaseException:
        storage.delete(name)
        raise


def worker_identity() -> str:
    """This process, as `Report.claimed_by` names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claimer_is_gone(claimed_by: str) -> bool:
    """True when the process that claimed a report ran on this host and no longer exists.

    Another host's process cannot be checked from here: its heartbeat tells. A reused
    pid reads as alive, which only delays the recovery to the heartbeat's.
    """
    host, _sep, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by another user
    return False


def report_run(report_id: int, *, today: datetime.date | None = None) -> str:
    """Generate a queued report (the background task's body); returns its final status.

    Never raises for a report that cannot be built: the report is marked
    failed with the reason, which its page shows.
    """
    now = timezone.now()
    claimed = Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING,
        progress=5,
        attempts=F("attempts") + 1,
        error="",
        started_at=now,
        heartbeat_at=now,
        claimed_by=worker_identity(),
        finished_at=None,
    )
    report = (
        Report.objects.select_related("startup", "cohort__program", "territory", "incubator")
        .filter(pk=report_id)
        .first()
    )
    if not claimed:
        # Already taken by another worker, finished, or gone: nothing to do.
        return report.status if report else ""

    name = ""
    try:
        # Reports are documents in French, whatever language the requester browses in.
        with translation.override(settings.LANGUAGE_CODE):
            report_data = _assemble(report, today or timezone.localdate())
            _step(report_id, 40)
            content = _render_pdf(report, report_data)
            _step(report_id, 75)
            html = str(render_report_html(report_data))
        _step(report_id, 90)
        with transaction.atomic():
            name = _store_pdf(report.pdf.storage, content)
            stored = Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
                status=ReportStatus.DONE,
                progress=100,
                pdf=name,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                html=html,
                finished_at=timezone.now(),
            )
            if not stored:  # recovered and re-queued meanwhile: the other run wins
                raise _Superseded
    except _Superseded:
        report.pdf.storage.delete(name)
        return Report.objects.get(pk=report_id).status
    except Exception as exc:
        if name:
            report.pdf.storage.delete(name)
        if isinstance(exc, IncubatorError):
            reason = exc.message
        elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            logger.exception("Report %s failed: no space left to store it", report_id)
            reason = _(
                "Le rapport n’a pas pu être enregistré : l’espace de stockage est plein. "
                "L’équipe technique en a été informée ; relancez la génération plus tard."
            )
        else:
            logger.exception("Report %s failed", report_id)
            reason = _(
                "Erreur inattendue pendant la génération (%(error)s). "
                "L’équipe technique en a été informée ; vous pouvez relancer."
            ) % {"error": type(exc).__name__}
        Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
            status=ReportStatus.FAILED, error=reason, finished_at=timezone.now()
        )
        return ReportStatus.FAILED
    return ReportStatus.DONE


def report_is_stale(report: Report, *, now: datetime.datetime | None = None) -> bool:
    """Its worker is gone: running in a process of this host that no longer exists, or
    queued or running with no sign of life for `REPORT_STALE_AFTER`."""
    if report.status == ReportStatus.RUNNING and _claimer_is_gone(report.claimed_by):
        return True
    now = now or timezone.now()
    last_sign = report.heartbeat_at or report.requested_at
    return (
        report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
        and last_sign is not None
        and now - last_sign > REPORT_STALE_AFTER
    )


def report_retry(report: Report, *, user: User) -> Report:
    """Queue again a failed report, or one whose worker died."""
    if not (report.status == ReportStatus.FAILED or report_is_stale(report)):
        raise IncubatorError(_("Seul un rapport en échec ou interrompu peut être relancé."))
    with transaction.atomic():
        Report.objects.filter(pk=report.pk, status=report.status).update(
            status=ReportStatus.QUEUED,
            progress=0,
            error="",
            task_id="",
            heartbeat_at=timezone.now(),
        )
        transaction.on_commit(lambda: _enqueue(report.pk))
    report.refresh_from_db()
    logger.info("Report %s retried by user %s", report.pk, user.pk)
    return report


def reports_recover(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Queue again the reports whose worker died; fail those that died too often.

    Safe to run at any time (cron, worker start): a report still running
    gives a heartbeat at each step, so only silent ones are touched.
    """
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    pending = Report.objects.filter(status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING])
    for report in pending:
        if not report_is_stale(report, now=now):
            continue
        if report.attempts >= REPORT_MAX_ATTEMPTS:
            counts["failed"] += Report.objects.filter(pk=report.pk, status=report.status).update(
                status=ReportStatus.FAILED,
                error=_(
                    "La génération a été interrompue %(count)s fois : "
                    "relancez-la ou contactez l’équipe technique."
                )
                % {"count": report.attempts},
                finished_at=now,
            )
            continue
        with transaction.atomic():
            updated = Report.objects.filter(pk=report.pk, status=report.status).update(
                status=ReportStatus.QUEUED, progress=0, task_id="", heartbeat_at=now
            )
            if updated:
                transaction.on_commit(lambda pk=report.pk: _enqueue(pk))
        counts["requeued"] += updated
    return counts


def report_publish(report: Report, *, user: User) -> Report:
    """Show a finished public version on the public site; the caller checked the permission."""
    if report.kind not in PUBLISHABLE_REPORT_KINDS:
        raise IncubatorError(
            _("Seuls les rapports de territoire et les rapports annuels d’incubateur se publient.")
        )
    if not report.is_public:
        raise IncubatorError(
            _("Seule la version publique d’un rapport se publie : générez-la d’abord.")
        )
    if report.status != ReportStatus.DONE:
        raise IncubatorError(_("Ce rapport n’est pas encore prêt."))
    if report.published_at is not None:
        raise IncubatorError(_("Ce rapport est déjà publié."))
    report.published_at = timezone.now()
    report.published_by = user
    report.save(update_fields=["published_at", "published_by"])
    _log_publication("report_published", report, user)
    return report


def report_unpublish(report: Report, *, user: User) -> Report:
    """Withdraw a report from the public site (it stays in the workspace)."""
    if report.published_at is None:
        raise IncubatorError(_("Ce rapport n’est pas publié."))
    report.published_at = None
    report.published_by = None
    report.save(update_fields=["published_at", "published_by"])
    _log_publication("report_unpublished", report, user)
    return report


def _log_publication(event: str, report: Report, user: User) -> None:
    """What the public site shows is a security matter: who put it there or took it down."""
    transaction.on_commit(
        lambda: log_event(
            event, user=user, report_id=report.pk, kind=report.kind, version=report.version
        )
    )
