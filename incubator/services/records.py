"""Services for what teams log day to day: milestones, experiments, indicators, profile.

Each function is one transaction, checks its rules (refusing with a French
`IncubatorError`, an `InvalidValue` when one input is at fault) and marks
the startup as updated, which resets the inactivity alerts.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.security_log import log_event
from incubator.enums import (
    ExperimentOutcome,
    IndicatorDirection,
    MilestoneStatus,
    Visibility,
)
from incubator.exceptions import IncubatorError, InvalidValue
from incubator.models import (
    Experiment,
    Indicator,
    Measurement,
    Milestone,
    Startup,
    Territory,
)
from incubator.services.lifecycle import startup_touch

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "milestone_log",
    "milestone_update",
    "experiment_record",
    "experiment_close",
    "indicator_define",
    "measurement_add",
    "startup_update_profile",
]

CLOSED_OUTCOMES = frozenset(ExperimentOutcome) - {ExperimentOutcome.RUNNING}
# Links are shown to the public: only web addresses, never javascript: or ftp:.
_web_url = URLValidator(schemes=["http", "https"])
URL_MAX_LENGTH = 500


def _check_web_url(url: str, *, field: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    try:
        _web_url(url)
    except ValidationError:
        raise InvalidValue(
            _("Saisissez une adresse web valide, commençant par http:// ou https://."),
            field=field,
        ) from None
    if len(url) > URL_MAX_LENGTH:
        raise InvalidValue(
            _("Cette adresse est trop longue (%(max)d caractères au plus).")
            % {"max": URL_MAX_LENGTH},
            field=field,
        )
    return url


def _required_text(value: str, *, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidValue(message, field=field)
    return value


def _not_in_future(day: datetime.date | None, *, field: str, message: str) -> None:
    if day is not None and day > timezone.localdate():
        raise InvalidValue(message, field=field)


# --- Milestones -------------------------------------------------------------------


def _clean_milestone(
    *,
    title: str,
    status: MilestoneStatus,
    achieved_on: datetime.date | None,
    evidence_url: str,
) -> tuple[str, str]:
    title = _required_text(title, field="title", message=_("Donnez un intitulé au jalon."))
    if status not in MilestoneStatus.values:
        raise InvalidValue(_("Choisissez l’état du jalon dans la liste."), field="status")
    if status == MilestoneStatus.ACHIEVED and achieved_on is None:
        raise InvalidValue(
            _("Un jalon atteint a besoin de sa date d’atteinte."), field="achieved_on"
        )
    if status != MilestoneStatus.ACHIEVED and achieved_on is not None:
        # A date on a missed or dropped milestone would read as a success in reports.
        raise InvalidValue(
            _(
                "Seul un jalon atteint a une date d’atteinte : videz ce champ "
                "ou passez le jalon à « Atteint »."
            ),
            field="achieved_on",
        )
    _not_in_future(
        achieved_on,
        field="achieved_on",
        message=_("La date d’atteinte ne peut pas être dans le futur."),
    )
    return title, _check_web_url(evidence_url, field="evidence_url")


@transaction.atomic
def milestone_log(
    *,
    startup: Startup,
    author: User | None,
    title: str,
    description: str = "",
    status: MilestoneStatus = MilestoneStatus.PLANNED,
    due_date: datetime.date | None = None,
    achieved_on: datetime.date | None = None,
    evidence_url: str = "",
) -> Milestone:
    """Log a milestone of the startup: planned ahead, or recorded once achieved."""
    title, evidence_url = _clean_milestone(
        title=title, status=status, achieved_on=achieved_on, evidence_url=evidence_url
    )
    milestone = Milestone.objects.create(
        startup=startup,
        author=author,
        title=title,
        description=(description or "").strip(),
        status=status,
        due_date=due_date,
        achieved_on=achieved_on,
        evidence_url=evidence_url,
    )
    startup_touch(startup, after=milestone)
    return milestone


@transaction.atomic
def milestone_update(
    *,
    milestone: Milestone,
    title: str,
    description: str,
    status: MilestoneStatus,
    due_date: datetime.date | None,
    achieved_on: datetime.date | None,
    evidence_url: str,
) -> Milestone:
    """Update a milestone, typically planned → achieved with its date and evidence."""
    title, evidence_url = _clean_milestone(
        title=title, status=status, achieved_on=achieved_on, evidence_url=evidence_url
    )
    milestone.title, milestone.description = title, (description or "").strip()
    milestone.status, milestone.due_date = status, due_date
    milestone.achieved_on, milestone.evidence_url = achieved_on, evidence_url
    milestone.save()
    startup_touch(milestone.startup, after=milestone)
    return milestone


# --- Experiments ------------------------------------------------------------------


def _check_end_after_start(start_date: datetime.date, end_date: datetime.date | None) -> None:
    if end_date is not None and end_date < start_date:
        raise InvalidValue(
            _("La fin ne peut pas précéder le début de l’expérimentation (%(start)s).")
            % {"start": date_format(start_date, "SHORT_DATE_FORMAT")},
            field="end_date",
        )


@transaction.atomic
def experiment_record(
    *,
    startup: Startup,
    hypothesis: str,
    success_criterion: str,
    start_date: datetime.date,
    territory: Territory | None = None,
    protocol: str = "",
    end_date: datetime.date | None = None,
) -> Experiment:
    """Record an experiment on the ground: a hypothesis, where it runs, how it is judged."""
    hypothesis = _required_text(
        hypothesis, field="hypothesis", message=_("Formulez l’hypothèse testée.")
    )
    success_criterion = _required_text(
        success_criterion,
        field="success_criterion",
        message=_("Précisez le critère qui dira si l’hypothèse est validée."),
    )
    _check_end_after_start(start_date, end_date)
    experiment = Experiment.objects.create(
        startup=startup,
        hypothesis=hypothesis,
        territory=territory,
        protocol=(protocol or "").strip(),
        success_criterion=success_criterion,
        start_date=start_date,
        end_date=end_date,
    )
    startup_touch(startup, after=experiment)
    return experiment


@transaction.atomic
def experiment_close(
    *,
    experiment: Experiment,
    outcome: ExperimentOutcome,
    learnings: str,
    end_date: datetime.date,
) -> Experiment:
    """Close a running experiment with its outcome and what it taught the team."""
    # Locked so that two people closing it at once cannot both win.
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.outcome != ExperimentOutcome.RUNNING:
        raise IncubatorError(
            _("Cette expérimentation est déjà close (%(outcome)s).")
            % {"outcome": experiment.get_outcome_display().lower()}
        )
    if outcome not in CLOSED_OUTCOMES:
        raise InvalidValue(
            _("Choisissez le résultat : validée, invalidée ou non concluante."), field="outcome"
        )
    learnings = _required_text(
        learnings,
        field="learnings",
        message=_(
            "Notez ce que l’expérimentation vous a appris : c’est obligatoire pour la clore."
        ),
    )
    if end_date is None:
        raise InvalidValue(_("Indiquez la date de fin de l’expérimentation."), field="end_date")
    _check_end_after_start(experiment.start_date, end_date)
    _not_in_future(
        end_date,
        field="end_date",
        message=_("Une expérimentation se clôt une fois finie : la fin ne peut pas être future."),
    )
    experiment.outcome, experiment.learnings, experiment.end_date = outcome, learnings, end_date
    experiment.save(update_fields=["outcome", "learnings", "end_date", "updated"])
    startup_touch(experiment.startup, after=experiment)
    return experiment


# --- Indicators -------------------------------------------------------------------


@transaction.atomic
def indicator_define(
    *,
    startup: Startup,
    name: str,
    unit: str = "",
    description: str = "",
    target: Decimal | None = None,
    direction: IndicatorDirection = IndicatorDirection.UP,
    is_public: bool = True,
) -> Indicator:
    """Define an impact indicator of the startup, with its target and direction."""
    name = _required_text(name, field="name", message=_("Donnez un nom à l’indicateur."))
    if direction not in IndicatorDirection.values:
        raise InvalidValue(_("Choisissez le sens de l’indicateur."), field="direction")
    # Two indicators with one name would make charts and reports ambiguous.
    if Indicator.objects.filter(startup=startup, name__iexact=name).exists():
        raise InvalidValue(
            _("La startup a déjà un indicateur « %(name)s ».") % {"name": name}, field="name"
        )
    indicator = Indicator.objects.create(
        startup=startup,
        name=name,
        unit=(unit or "").strip(),
        description=(description or "").strip(),
        target=target,
        direction=direction,
        is_public=is_public,
    )
    startup_touch(startup, after=indicator)
    return indicator


@transaction.atomic
def measurement_add(
    *,
    indicator: Indicator,
    date: datetime.date,
    value: Decimal,
    note: str = "",
) -> Measurement:
    """Add a dated value to an indicator; one value per indicator and date."""
    _not_in_future(
        date, field="date", message=_("Une mesure ne peut pas être datée dans le futur.")
    )
    duplicate = InvalidValue(
        _("« %(indicator)s » a déjà une valeur au %(date)s : une seule mesure par date.")
        % {"indicator": indicator.name, "date": date_format(date, "SHORT_DATE_FORMAT")},
        field="date",
    )
    if Measurement.objects.filter(indicator=indicator, date=date).exists():
        raise duplicate
    try:
        # A savepoint: a concurrent insert hits the unique constraint, not a 500.
        with transaction.atomic():
            measurement = Measurement.objects.create(
                indicator=indicator, date=date, value=value, note=(note or "").strip()
            )
    except IntegrityError:
        raise duplicate from None
    startup_touch(indicator.startup, after=measurement)
    return measurement


# --- Startup profile --------------------------------------------------------------

PROFILE_URL_FIELDS = ("website", "repository", "stats_url", "impact_url", "budget_url")


@transaction.atomic
def startup_update_profile(
    *,
    startup: Startup,
    actor: User | None,
    pitch: str | None = None,
    problem: str | None = None,
    target_users: str | None = None,
    solution_hypothesis: str | None = None,
    description: str | None = None,
    website: str | None = None,
    repository: str | None = None,
    stats_url: str | None = None,
    impact_url: str | None = None,
    budget_url: str | None = None,
    visibility: Visibility | None = None,
) -> Startup:
    """Edit the startup's public presentation; `None` leaves a field as it is.

    The startup's history keeps every version, attributed to `actor`.
    """
    changes = {
        "pitch": pitch,
        "problem": problem,
        "target_users": target_users,
        "solution_hypothesis": solution_hypothesis,
        "description": description,
        "website": website,
        "repository": repository,
        "stats_url": stats_url,
        "impact_url": impact_url,
        "budget_url": budget_url,
    }
    changes = {name: value.strip() for name, value in changes.items() if value is not None}
    for name in PROFILE_URL_FIELDS:
        if name in changes:
            changes[name] = _check_web_url(changes[name], field=name)
    if "pitch" in changes and len(changes["pitch"]) > Startup._meta.get_field("pitch").max_length:
        raise InvalidValue(_("Le pitch tient en 300 caractères au plus."), field="pitch")
    if visibility is not None:
        if visibility not in Visibility.values:
            raise InvalidValue(_("Choisissez la visibilité dans la liste."), field="visibility")
        changes["visibility"] = visibility
    if not changes:
        return startup
    previous_visibility = startup.visibility
    for name, value in changes.items():
        setattr(startup, name, value)
    startup._history_user = actor  # django-simple-history attributes the edit
    startup.save(update_fields=[*changes, "updated"])
    startup_touch(startup, after=startup)
    if startup.visibility != previous_visibility:
        # Making a startup public (or private) changes who may read all its records.
        transaction.on_commit(
            lambda: log_event(
                "startup_visibility_changed",
                user=actor,
                startup_id=startup.pk,
                before=previous_visibility,
                after=startup.visibility,
            )
        )
    return startup
