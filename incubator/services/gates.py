"""Services for phase gates: entry criteria, their evidence, and overrides.

A programme lists the criteria a startup must meet to enter a phase
(`programs.PhaseGateCriterion`). Two kinds are checked from the data (a signed
sponsor commitment, an agent freed enough days a week); the others need
evidence, recorded here. `startup_change_phase` calls `gate_checklist` when
advancing and refuses unmet criteria unless a written override is given.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from incubator import public_cache
from incubator.enums import MembershipRole
from incubator.exceptions import IncubatorError
from incubator.models import GateEvidence, Membership, Sponsorship, Startup
from programs.models import GateCriterionKind, PhaseGateCriterion

__all__ = ["gate_criteria_for", "gate_checklist", "gate_evidence_record"]


def gate_criteria_for(*, startup: Startup, to_phase: str):
    """The entry criteria of `to_phase` in the startup's programme (none without a cohort)."""
    if startup.cohort_id is None:
        return PhaseGateCriterion.objects.none()
    return PhaseGateCriterion.objects.filter(
        program__cohorts=startup.cohort_id, phase=to_phase
    ).order_by("order", "pk")


def _current_agents(startup: Startup, today: datetime.date):
    return Membership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        startup=startup,
        role=MembershipRole.AGENT,
        start_date__lte=today,
    )


def _days(value: Decimal) -> str:
    # "2" rather than "2,0"; "1,5" stays as is.
    integral = value.to_integral_value()
    return number_format(integral if value == integral else value.normalize())


def gate_checklist(
    *, startup: Startup, to_phase: str, today: datetime.date | None = None
) -> list[dict]:
    """Each entry criterion of `to_phase` for this startup, met or not, with its evidence.

    Plain JSON-ready dicts: the list is stored as is on the PhaseTransition,
    a snapshot of what the committee saw.
    """
    criteria = list(gate_criteria_for(startup=startup, to_phase=to_phase))
    if not criteria:
        return []
    today = today or timezone.localdate()
    kinds = {criterion.kind for criterion in criteria}

    signed = None
    if GateCriterionKind.SIGNED_COMMITMENT in kinds:
        signed = (
            Sponsorship.objects.filter(startup=startup, commitment_signed_on__isnull=False)
            .select_related("territory")
            .order_by("commitment_signed_on", "pk")
            .first()
        )
    best_freed = None
    if GateCriterionKind.FREED_TIME in kinds:
        freed = [
            m.freed_days_per_week
            for m in _current_agents(startup, today)
            if m.freed_days_per_week is not None
        ]
        best_freed = max(freed) if freed else None
    evidence = {
        e.criterion_id: e
        for e in GateEvidence.objects.filter(
            startup=startup, criterion__in=[c.pk for c in criteria]
        )
    }

    checklist = []
    for criterion in criteria:
        evidence_url, detail = "", ""
        if criterion.kind == GateCriterionKind.SIGNED_COMMITMENT:
            met = signed is not None
            if met:
                detail = _("Engagement de %(territory)s signé le %(date)s.") % {
                    "territory": signed.territory.name,
                    "date": date_format(signed.commitment_signed_on, "SHORT_DATE_FORMAT"),
                }
                evidence_url = (
                    reverse("workspace:commitment_document", args=[signed.pk])
                    if signed.commitment_document
                    else ""
                )
            else:
                detail = _("Aucun territoire sponsor n’a encore signé son engagement.")
        elif criterion.kind == GateCriterionKind.FREED_TIME:
            threshold = criterion.threshold or Decimal(0)
            met = best_freed is not None and best_freed >= threshold
            if best_freed is None:
                detail = _("Aucun agent-entrepreneur en poste n’a de temps libéré renseigné.")
            else:
                detail = _(
                    "Temps libéré : %(days)s jour(s) par semaine (minimum demandé : %(threshold)s)."
                ) % {"days": _days(best_freed), "threshold": _days(threshold)}
        else:
            answer = evidence.get(criterion.pk)
            met = bool(answer and answer.met and answer.evidence_url)
            if answer is not None:
                evidence_url, detail = answer.evidence_url, answer.note
            if not met and not detail:
                detail = _("Preuve à fournir.")
        checklist.append(
            {
                "criterion_id": criterion.pk,
                "label": criterion.label,
                "kind": criterion.kind,
                "met": met,
                "evidence_url": evidence_url,
                "detail": detail,
            }
        )
    return checklist


_url_validator = URLValidator(schemes=["http", "https"])


@transaction.atomic
def gate_evidence_record(
    *,
    startup: Startup,
    criterion: PhaseGateCriterion,
    met: bool,
    evidence_url: str,
    note: str,
    actor,
) -> GateEvidence:
    """The team's or coach's answer to one evidence-based entry criterion.

    A criterion marked as met must point to its evidence (a web link), so a
    committee can check it rather than take it on trust.
    """
    if (
        startup.cohort_id is None
        or not PhaseGateCriterion.objects.filter(
            pk=criterion.pk, program__cohorts=startup.cohort_id
        ).exists()
    ):
        raise IncubatorError(_("Ce critère n’appartient pas au programme de cette startup."))
    if criterion.kind != GateCriterionKind.MANUAL:
        raise IncubatorError(
            _("Ce critère se vérifie à partir des données de la startup, sans preuve à saisir.")
        )
    evidence_url, note = (evidence_url or "").strip(), (note or "").strip()
    if evidence_url:
        try:
            _url_validator(evidence_url)
        except ValidationError as error:
            raise IncubatorError(
                _("La preuve doit être une adresse web complète (https://…).")
            ) from error
    if met and not evidence_url:
        raise IncubatorError(
            _("Pour cocher « %(label)s », donnez le lien vers sa preuve.")
            % {"label": criterion.label}
        )
    evidence, _created = GateEvidence.objects.update_or_create(
        startup=startup,
        criterion=criterion,
        defaults={"met": met, "evidence_url": evidence_url, "note": note, "updated_by": actor},
    )
    Startup.objects.filter(pk=startup.pk).update(last_activity_at=timezone.now())
    public_cache.bump()  # an update() sends no signal; the date shows on public pages
    return evidence
