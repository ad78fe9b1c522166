"""E-mail notifications of the lifecycle, sent by background tasks after commit.

Three layers, so a scheduler re-run or a retried task never sends twice:

- *planners* (`review_notices`, `inactivity_notices`, `digest_notices`) read
  what is due on a given day and return `Notice`s not sent yet, each with a
  stable key (`review-soon:<startup id>:<date>`…);
- `dispatch` enqueues one task per notice (`incubator.tasks`), with ids and
  ISO dates as arguments, never model instances;
- each task re-reads the data, builds one e-mail per recipient
  (`*_messages`) and hands them to `send_once`, which records the key in
  `NotificationLog` in the same transaction as the sending.

Texts are French templates under `templates/emails/`; links are absolute,
from `settings.SITE_URL`.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_tasks import TaskResultStatus

from accounts.enums import Role
from incubator import alerts, selectors
from incubator.enums import TERMINAL_PHASES, Phase, TransitionKind
from incubator.models import NotificationLog, PhaseTransition, Startup

REVIEW_SOON_DAYS = 7  # "a committee in the next 7 days"

# Transitions somebody decided: the others (start of a startup, imports) tell nobody.
NOTIFIED_TRANSITION_KINDS = frozenset(
    {TransitionKind.ADVANCE, TransitionKind.PIVOT, TransitionKind.ABANDON, TransitionKind.REOPEN}
)


class NoticeKind(models.TextChoices):
    """What a notification is about; the value is the first part of its key."""

    PHASE_DECISION = "phase-decision", gettext_lazy("Décision de phase")
    REVIEW_SOON = "review-soon", gettext_lazy("Comité dans les 7 jours")
    REVIEW_OVERDUE = "review-overdue", gettext_lazy("Comité en retard")
    INACTIVE_TEAM = "inactive-30", gettext_lazy("Sans mise à jour depuis 30 jours (équipe)")
    INACTIVE_COACHES = "inactive-60", gettext_lazy("Sans mise à jour depuis 60 jours (coachs)")
    INACTIVE_STAFF = (
        "inactive-90",
        gettext_lazy("Sans mise à jour depuis 90 jours (équipe de l’incubateur)"),
    )
    DIGEST = "digest", gettext_lazy("Récapitulatif hebdomadaire")


# Escalation of silence: who is told after how many days without an update.
INACTIVITY_LEVELS = {
    NoticeKind.INACTIVE_TEAM: 30,
    NoticeKind.INACTIVE_COACHES: 60,
    NoticeKind.INACTIVE_STAFF: 90,
}
NEVER = "never"  # the "since" part of an inactivity key when nothing was ever recorded

# The task that sends each kind of notice (names in incubator.tasks).
_TASKS = {
    NoticeKind.PHASE_DECISION: "send_phase_decision",
    NoticeKind.REVIEW_SOON: "send_review_reminder",
    NoticeKind.REVIEW_OVERDUE: "send_review_reminder",
    NoticeKind.INACTIVE_TEAM: "send_inactivity_reminder",
    NoticeKind.INACTIVE_COACHES: "send_inactivity_reminder",
    NoticeKind.INACTIVE_STAFF: "send_inactivity_reminder",
    NoticeKind.DIGEST: "send_weekly_digest",
}


def _tasks():
    # incubator.tasks imports this module: import it when enqueuing only.
    from incubator import tasks

    return tasks


# --- Entry point called by the lifecycle services ------------------------------------


def phase_decision_recorded(transition_id: int) -> None:
    """Enqueue the e-mail about a phase decision; called in `transaction.on_commit`."""
    _tasks().send_phase_decision.enqueue(transition_id)


# --- Recipients -------------------------------------------------------------------------


def _reachable(users: QuerySet) -> QuerySet:
    return users.filter(is_active=True).exclude(email="").distinct().order_by("email", "pk")


def team_of(startup: Startup) -> QuerySet:
    """The current team: every membership without an end date, whatever the role."""
    return _reachable(
        get_user_model().objects.filter(
            memberships__startup=startup, memberships__end_date__isnull=True
        )
    )


def coaches_of(startup: Startup) -> QuerySet:
    """The coaches of the startup's incubator and of its cohort (as `is_coach_of`)."""
    coaching = Q(coached_incubators=startup.incubator_id)
    if startup.cohort_id is not None:
        coaching |= Q(cohorts=startup.cohort_id)
    return _reachable(get_user_model().objects.filter(coaching))


def network_staff() -> QuerySet:
    """The incubator's staff: users `permissions.is_network_staff` lets do everything.

    There is no per-incubator staff relation, so this is the network's staff.
    """
    return _reachable(
        get_user_model().objects.filter(
            Q(is_superuser=True) | Q(is_staff=True) | Q(role=Role.STAFF)
        )
    )


def digest_readers() -> QuerySet:
    """Who may get a weekly digest: coaches (by relation or role) who did not opt out.

    Network staff get one only when they also coach an incubator or cohort
    (their board is then the whole network); the 90-day reminder reaches them.
    """
    return _reachable(
        get_user_model().objects.filter(
            Q(coached_incubators__isnull=False) | Q(cohorts__isnull=False) | Q(role=Role.COACH),
            receives_digests=True,
        )
    )


def _union(*groups: Iterable, exclude=None) -> list:
    """Users of several groups, each once, without `exclude` (the person who acted)."""
    seen, users = set(), []
    for group in groups:
        for user in group:
            if user.pk not in seen and (exclude is None or user.pk != exclude):
                seen.add(user.pk)
                users.append(user)
    return users


# --- Building and sending e-mails -------------------------------------------------------


def absolute_url(viewname: str, *args) -> str:
    return settings.SITE_URL + reverse(viewname, args=args)


def _greeting_name(user) -> str:
    return user.display_name or user.first_name or ""


def _message(template: str, context: dict, recipient) -> EmailMessage:
    """One e-mail to one person, rendered in French from `emails/<template>_*.txt`."""
    context = {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "recipient_name": _greeting_name(recipient),
        "profile_url": absolute_url("account_profile"),
        "home_url": absolute_url("workspace:home"),
        **context,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body = render_to_string(f"emails/{template}_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=re.sub(r"\n\s*\n(\s*\n)+", "\n\n", body).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        # Tells mail servers not to send out-of-office replies to a robot.
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_once(key: str, messages: list[EmailMessage]) -> int:
    """Send `messages` unless `key` was already sent; returns how many e-mails left.

    The key is written in the same transaction as the sending: if the mail
    server fails, nothing is recorded and a retry sends again.
    """
    if not messages:
        return 0
    with transaction.atomic():
        _log, created = NotificationLog.objects.get_or_create(key=key)
        if not created:
            return 0
        get_connection().send_messages(messages)
    return len(messages)


def phase_decision_key(transition_id: int) -> str:
    return f"{NoticeKind.PHASE_DECISION.value}:{transition_id}"


def phase_decision_messages(transition: PhaseTransition) -> list[EmailMessage]:
    """The team and coaches of the startup, except who decided; none for imported rows."""
    if transition.kind not in NOTIFIED_TRANSITION_KINDS or transition.decided_by_id is None:
        return []
    startup = transition.startup
    recipients = _union(team_of(startup), coaches_of(startup), exclude=transition.decided_by_id)
    context = {
        "startup": startup,
        "transition": transition,
        "kind": transition.kind,
        "from_phase": Phase(transition.from_phase).label if transition.from_phase else "",
        "to_phase": Phase(transition.to_phase).label,
        "decided_by": transition.decided_by.get_full_name(),
        "startup_url": absolute_url("workspace:startup_detail", startup.slug),
    }
    return [_message("phase_decision", context, user) for user in recipients]


def review_due_key(kind: str, startup_id: int, due: datetime.date) -> str:
    return f"{NoticeKind(kind).value}:{startup_id}:{due.isoformat()}"


def review_messages(startup: Startup, *, kind: str, due: datetime.date, today: datetime.date):
    """A committee soon (or missed): to the coaches and the team."""
    recipients = _union(coaches_of(startup), team_of(startup))
    context = {
        "startup": startup,
        "overdue": kind == NoticeKind.REVIEW_OVERDUE,
        "due": due,
        "days": abs((due - today).days),
        "startup_url": absolute_url("workspace:startup_detail", startup.slug),
    }
    return [_message("review_reminder", context, user) for user in recipients]


def inactivity_key(kind: str, startup_id: int, since: str) -> str:
    return f"{NoticeKind(kind).value}:{startup_id}:{since}"


def inactivity_recipients(startup: Startup, kind: str) -> QuerySet:
    if kind == NoticeKind.INACTIVE_TEAM:
        return team_of(startup)
    if kind == NoticeKind.INACTIVE_COACHES:
        return coaches_of(startup)
    return network_staff()


def inactivity_since(startup: Startup) -> str:
    """The day of the last update (ISO), or NEVER: the period part of the key."""
    if startup.last_activity_at is None:
        return NEVER
    return timezone.localdate(startup.last_activity_at).isoformat()


def inactivity_messages(startup: Startup, *, kind: str) -> list[EmailMessage]:
    since = inactivity_since(startup)
    context = {
        "startup": startup,
        "audience": {
            NoticeKind.INACTIVE_TEAM: "team",
            NoticeKind.INACTIVE_COACHES: "coaches",
            NoticeKind.INACTIVE_STAFF: "staff",
        }[NoticeKind(kind)],
        "threshold": INACTIVITY_LEVELS[NoticeKind(kind)],
        "since": None if since == NEVER else datetime.date.fromisoformat(since),
        "startup_url": absolute_url("workspace:startup_detail", startup.slug),
    }
    return [_message("inactivity", context, user) for user in inactivity_recipients(startup, kind)]


def digest_key(user_id: int, today: datetime.date) -> str:
    year, week, _day = today.isocalendar()
    return f"{NoticeKind.DIGEST.value}:{user_id}:{year}-W{week:02d}"


@dataclass(frozen=True)
class DigestEntry:
    startup: Startup
    url: str
    alerts: list


def digest_entries(user, *, today: datetime.date) -> list[DigestEntry]:
    """The startups of a coach's board that have at least one alert, by name."""
    startups = alerts.annotate_for_board(
        selectors.startups_coached_by(user=user), today=today
    ).order_by("name", "pk")
    entries = []
    with translation.override(settings.LANGUAGE_CODE):
        for startup in startups:
            if found := alerts.alerts_for(startup, today=today):
                entries.append(
                    DigestEntry(
                        startup, absolute_url("workspace:startup_detail", startup.slug), found
                    )
                )
    return entries


def digest_messages(user, *, today: datetime.date) -> list[EmailMessage]:
    """The weekly digest of one coach: nothing when opted out or nothing to say."""
    if not user.receives_digests or not user.is_active or not user.email:
        return []
    entries = digest_entries(user, today=today)
    if not entries:
        return []
    context = {"entries": entries, "count": len(entries), "today": today}
    return [_message("weekly_digest", context, user)]


# --- Planning: what is due on a day --------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One notification due and not sent yet: its key, its subject, how many will get it."""

    kind: NoticeKind
    key: str
    about: str  # a startup or a coach, for the command's summary
    recipients: int
    args: tuple = field(default=())  # the task's arguments: ids and ISO dates

    def enqueue(self):
        return getattr(_tasks(), _TASKS[self.kind]).enqueue(*self.args)


def _already_sent(keys: Iterable[str]) -> set[str]:
    return set(NotificationLog.objects.filter(key__in=list(keys)).values_list("key", flat=True))


def followed_startups() -> QuerySet[Startup]:
    """Startups reminders are about: not archived, not in a terminal phase."""
    return (
        Startup.objects.filter(archived_at__isnull=True)
        .exclude(phase__in=TERMINAL_PHASES)
        .select_related("incubator", "cohort")
    )


def with_next_review_date(startups: QuerySet) -> QuerySet:
    """Annotate `next_review`: see `alerts.next_review_date`."""
    return startups.annotate(next_review=alerts.next_review_date())


def review_kind(due: datetime.date, *, today: datetime.date) -> NoticeKind | None:
    if due < today:
        return NoticeKind.REVIEW_OVERDUE
    if due <= today + datetime.timedelta(days=REVIEW_SOON_DAYS):
        return NoticeKind.REVIEW_SOON
    return None


def review_notices(*, today: datetime.date) -> list[Notice]:
    """Committees due within 7 days or missed, once per (startup, date, kind).

    A startup without any review has the date fixed when its application was
    accepted, if any; otherwise none, and the board's "no committee for six
    months" alert covers it.
    """
    horizon = today + datetime.timedelta(days=REVIEW_SOON_DAYS)
    startups = with_next_review_date(followed_startups()).filter(
        next_review__isnull=False, next_review__lte=horizon
    )
    candidates = []
    for startup in startups.order_by("name", "pk"):
        kind = review_kind(startup.next_review, today=today)
        candidates.append((review_due_key(kind, startup.pk, startup.next_review), kind, startup))
    sent = _already_sent(key for key, _kind, _startup in candidates)
    notices = []
    for key, kind, startup in candidates:
        if key in sent:
            continue
        if count := len(_union(coaches_of(startup), team_of(startup))):
            notices.append(
                Notice(
                    kind=kind,
                    key=key,
                    about=startup.name,
                    recipients=count,
                    args=(
                        startup.pk,
                        kind.value,
                        startup.next_review.isoformat(),
                        today.isoformat(),
                    ),
                )
            )
    return notices


def _silent_since_before(today: datetime.date, days: int) -> datetime.datetime:
    """Updates before this instant are at least `days` whole (local) days old."""
    day = today - datetime.timedelta(days=days - 1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def inactivity_level_reached(startup: Startup, kind: str, *, today: datetime.date) -> bool:
    if startup.last_activity_at is None:
        return True
    return (today - timezone.localdate(startup.last_activity_at)).days >= INACTIVITY_LEVELS[
        NoticeKind(kind)
    ]


def inactivity_notices(*, today: datetime.date) -> list[Notice]:
    """Silent startups: team at 30 days, coaches at 60, staff at 90; once per silence."""
    candidates = []
    for kind, days in INACTIVITY_LEVELS.items():
        startups = followed_startups().filter(
            Q(last_activity_at__isnull=True)
            | Q(last_activity_at__lt=_silent_since_before(today, days))
        )
        for startup in startups.order_by("name", "pk"):
            since = inactivity_since(startup)
            candidates.append((inactivity_key(kind, startup.pk, since), kind, startup, since))
    sent = _already_sent(candidate[0] for candidate in candidates)
    staff_count = None  # the same for every startup: counted once, when needed
    notices = []
    for key, kind, startup, since in candidates:
        if key in sent:
            continue
        if kind == NoticeKind.INACTIVE_STAFF:
            if staff_count is None:
                staff_count = network_staff().count()
            count = staff_count
        else:
            count = inactivity_recipients(startup, kind).count()
        if count:
            notices.append(
                Notice(
                    kind=kind,
                    key=key,
                    about=startup.name,
                    recipients=count,
                    args=(startup.pk, kind.value, since, today.isoformat()),
                )
            )
    return notices


def daily_notices(*, today: datetime.date) -> list[Notice]:
    """Everything `send_notifications` sends: committee reminders, then inactivity."""
    return review_notices(today=today) + inactivity_notices(today=today)


def digest_notices(*, today: datetime.date) -> list[Notice]:
    """One digest per coach with at least one alert on their board, once per ISO week."""
    readers = {digest_key(user.pk, today): user for user in digest_readers()}
    sent = _already_sent(readers)
    notices = []
    for key, user in readers.items():
        if key in sent:
            continue
        if entries := digest_entries(user, today=today):
            notices.append(
                Notice(
                    kind=NoticeKind.DIGEST,
                    key=key,
                    about=ngettext(
                        "%(name)s (%(count)d startup)",
                        "%(name)s (%(count)d startups)",
                        len(entries),
                    )
                    % {"name": user.get_full_name(), "count": len(entries)},
                    recipients=1,
                    args=(user.pk, today.isoformat()),
                )
            )
    return notices


# --- Dispatching, for the management commands ------------------------------------------


@dataclass
class DispatchReport:
    """What a command did: notices per kind, e-mails sent inline, queued, failed."""

    notices: list[Notice]
    dry_run: bool
    sent: int = 0
    queued: int = 0
    failed: list[Notice] = field(default_factory=list)

    def lines(self, *, today: datetime.date, details: bool = False) -> list[str]:
        """A French summary, one line per kind of notice, then the totals."""
        with translation.override(settings.LANGUAGE_CODE):
            return self._lines(today=today, details=details)

    def _lines(self, *, today, details):
        lines = [_("Notifications du %(date)s") % {"date": date_format(today, "j F Y")}]
        if self.dry_run:
            lines.append(_("Simulation : aucun e-mail n’est envoyé, rien n’est enregistré."))
        if not self.notices:
            lines.append(_("Rien à envoyer."))
            return lines
        for kind in NoticeKind:
            group = [n for n in self.notices if n.kind == kind]
            if not group:
                continue
            recipients = sum(n.recipients for n in group)
            lines.append(
                ngettext(
                    "%(kind)s : %(count)d notification, %(recipients)d destinataire(s)",
                    "%(kind)s : %(count)d notifications, %(recipients)d destinataire(s)",
                    len(group),
                )
                % {"kind": kind.label, "count": len(group), "recipients": recipients}
            )
            if details:
                lines += [f"  - {n.about}" for n in group]
        if not self.dry_run:
            lines.append(
                _("%(sent)d e-mail(s) envoyé(s), %(queued)d tâche(s) en file d’attente.")
                % {"sent": self.sent, "queued": self.queued}
            )
        for notice in self.failed:
            lines.append(
                _("Échec de l’envoi : %(kind)s — %(about)s")
                % {"kind": notice.kind.label, "about": notice.about}
            )
        return lines


def dispatch(notices: list[Notice], *, dry_run: bool = False) -> DispatchReport:
    """Enqueue one task per notice (inline with the immediate backend)."""
    report = DispatchReport(notices=notices, dry_run=dry_run)
    if dry_run:
        return report
    for notice in notices:
        result = notice.enqueue()
        if result.status == TaskResultStatus.SUCCESSFUL:
            report.sent += result.return_value or 0
        elif result.status == TaskResultStatus.FAILED:
            report.failed.append(notice)
        else:
            report.queued += 1
    return report
