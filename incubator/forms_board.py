"""Forms of the coach's side: board filters, committee (review) and gate evidence.

They parse and present input; the rules live in `incubator.services`, which
the views call (a refusal there comes back as a form error).
"""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from incubator.alerts import AlertKind
from incubator.enums import TERMINAL_PHASES, FailureReason, Phase, ReviewDecision
from incubator.forms import (
    LightSelect,
    PostMortemFields,
    WorkspaceForm,
    date_input,
    decimal_field,
    url_field,
)
from incubator.services import next_phases, previous_phase, review_decisions_for

# Sort keys of the board (GET `tri`, "-" prefix for descending) and their labels.
BOARD_SORTS = {
    "nom": _("Nom"),
    "phase": _("Phase"),
    "temps": _("Temps dans la phase"),
    "maj": _("Dernière mise à jour"),
    "comite": _("Prochain comité"),
}


class BoardFilterForm(WorkspaceForm):
    """The board's GET filters; an invalid value is reported and that filter ignored."""

    promotion = forms.ChoiceField(label=_("Promotion"), required=False, widget=LightSelect)
    phase = forms.ChoiceField(
        label=_("Phase"),
        required=False,
        choices=[("", _("Toutes les phases")), *Phase.choices],
        widget=LightSelect,
    )
    alerte = forms.ChoiceField(
        label=_("Alerte"),
        required=False,
        choices=[("", _("Toutes les startups")), *AlertKind.choices],
        widget=LightSelect,
    )
    # A coach of a national network may see hundreds of sponsors: a light <select>.
    territoire = forms.ChoiceField(
        label=_("Territoire sponsor"), required=False, widget=LightSelect
    )
    tri = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(f"{sign}{key}", key) for key in BOARD_SORTS for sign in ("", "-")],
    )

    def __init__(self, *args, cohorts, territories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["promotion"].choices = [("", _("Toutes mes startups")), *cohorts]
        self.fields["territoire"].choices = [("", _("Tous les territoires")), *territories]

    def value(self, name: str) -> str:
        """The cleaned value of one filter, or "" when absent or invalid."""
        self.is_valid()
        return self.cleaned_data.get(name) or ""


def _plain(value: Decimal) -> Decimal:
    # 500 rather than 500.00, 12.5 rather than 12.50 (without 5E+2 notation).
    integral = value.to_integral_value()
    return integral if value == integral else value.normalize()


def _number(value: Decimal) -> str:
    return number_format(_plain(value))


class ReviewForm(PostMortemFields):
    """An investment committee: its decision, and what the decision needs.

    Targets are one optional field per indicator (`target_<pk>`), starting
    from the previous committee's. Advancing shows the entry criteria of the
    next phase; stopping collects the post-mortem (its lessons come from a
    `LessonFormSet` next to this form).
    """

    date = forms.DateField(label=_("Date du comité"), widget=date_input())
    participants = forms.CharField(
        label=_("Participants"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Noms et rôles : coach, sponsor, agent-entrepreneur…"),
    )
    decision = forms.ChoiceField(label=_("Décision"), widget=forms.RadioSelect)
    to_phase = forms.ChoiceField(
        label=_("Phase visée"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Après la consolidation, la startup est transférée ou opérée."),
    )
    rationale = forms.CharField(
        label=_("Justification de la décision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour un passage de phase, un pivot ou un arrêt."),
    )
    conditions = forms.CharField(
        label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Visibles par l’équipe de la startup, dans son journal et ses rapports."),
    )
    coach_notes = forms.CharField(
        label=_("Notes réservées aux coachs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Jamais montrées à l’équipe de la startup : seuls les coachs et l’équipe "
            "du réseau les lisent."
        ),
    )
    budget_granted = decimal_field(
        _("Budget accordé (en euros)"),
        required=False,
        min_value=0,
        help_text=_("Pour la période jusqu’au prochain comité. Exemple : 40 000"),
    )
    next_review_date = forms.DateField(
        label=_("Prochain comité"),
        required=False,
        widget=date_input(),
        help_text=_("Au plus tard dans six mois."),
    )
    gate_override_reason = forms.CharField(
        label=_("Motif de dérogation aux critères d’entrée"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour passer malgré un critère non rempli."),
    )
    # The post-mortem of a stop ("To document" is for imported stops only).
    reason = forms.ChoiceField(
        label=_("Cause principale de l’arrêt"),
        required=False,
        choices=[
            ("", _("Choisir une cause")),
            *(c for c in FailureReason.choices if c[0] != FailureReason.TO_DOCUMENT),
        ],
    )

    GENERAL = (
        "date",
        "participants",
        "decision",
        "to_phase",
        "rationale",
        "conditions",
        "notes",
        "coach_notes",
    )
    AFTER_TARGETS = ("budget_granted", "next_review_date")
    STOP = (
        "reason",
        "what_we_learned",
        "why_we_stop",
        "advice_for_relaunch",
        "publication_consent",
    )

    def __init__(self, *args, startup, indicators, checklists: dict, **kwargs):
        """`indicators` carry `latest_value`, `latest_date` and `previous_target`;
        `checklists` maps each phase `advance` may lead to, to its gate checklist."""
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("date", timezone.localdate())
        for indicator in indicators:
            if indicator.previous_target is not None:
                kwargs["initial"].setdefault(
                    f"target_{indicator.pk}", _plain(indicator.previous_target)
                )
        super().__init__(*args, **kwargs)
        self.startup, self.indicators, self.checklists = startup, indicators, checklists
        phase = Phase(startup.phase)
        self.next_phases = next_phases(phase) if phase not in TERMINAL_PHASES else []
        self.previous_phase = previous_phase(phase) if phase not in TERMINAL_PHASES else None

        self.fields["decision"].choices = [(d.value, d.label) for d in review_decisions_for(phase)]
        if len(self.next_phases) > 1:
            self.fields["to_phase"].choices = [(p.value, p.label) for p in self.next_phases]
        else:
            del self.fields["to_phase"]
        if not any(not c["met"] for checklist in checklists.values() for c in checklist):
            del self.fields["gate_override_reason"]

        for indicator in indicators:
            self.fields[f"target_{indicator.pk}"] = decimal_field(
                _("Objectif : %(name)s") % {"name": indicator.name}
                + (f" ({indicator.unit})" if indicator.unit else ""),
                required=False,
                help_text=self._target_help(indicator),
            )

    @staticmethod
    def _target_help(indicator) -> str:
        parts = []
        if indicator.previous_target is not None:
            parts.append(
                _("Objectif fixé au dernier comité : %(value)s")
                % {"value": _number(indicator.previous_target)}
            )
        if indicator.latest_value is not None:
            parts.append(
                _("Dernière valeur mesurée : %(value)s le %(date)s")
                % {
                    "value": _number(indicator.latest_value),
                    "date": date_format(indicator.latest_date, "SHORT_DATE_FORMAT"),
                }
            )
        else:
            parts.append(_("Aucune mesure enregistrée."))
        return " — ".join(str(p) for p in parts)

    def _bound(self, names):
        return [self[name] for name in names if name in self.fields]

    @property
    def general_fields(self):
        return self._bound(self.GENERAL)

    @property
    def target_fields(self):
        return self._bound(f"target_{i.pk}" for i in self.indicators)

    @property
    def budget_fields(self):
        return self._bound(self.AFTER_TARGETS)

    @property
    def stop_fields(self):
        return self._bound(self.STOP)

    def clean(self):
        cleaned = super().clean()
        decision, day = cleaned.get("decision"), cleaned.get("date")
        required = _("Obligatoire pour un arrêt.")
        if day and day > timezone.localdate():
            self.add_error("date", _("Enregistrez un comité qui s’est tenu : pas de date future."))
        next_day = cleaned.get("next_review_date")
        if day and next_day and next_day <= day:
            self.add_error(
                "next_review_date", _("Le prochain comité doit être fixé après celui-ci.")
            )
        if (
            decision in (ReviewDecision.ADVANCE, ReviewDecision.PIVOT)
            and not cleaned.get("rationale", "").strip()
        ):
            self.add_error(
                "rationale",
                _("Une justification écrite est obligatoire pour toute décision de phase."),
            )
        if decision == ReviewDecision.ADVANCE:
            target = self.target_phase()
            if target is None:
                self.add_error("to_phase", _("Choisissez la phase visée."))
            elif (
                any(not c["met"] for c in self.checklists.get(target, []))
                and not cleaned.get("gate_override_reason", "").strip()
            ):
                self.add_error(
                    "gate_override_reason",
                    _(
                        "Un critère d’entrée n’est pas rempli : écrivez le motif de la dérogation, "
                        "ou apportez les preuves avant le comité."
                    ),
                )
        if decision == ReviewDecision.STOP:
            for name in ("reason", "what_we_learned", "why_we_stop", "advice_for_relaunch"):
                if not str(cleaned.get(name) or "").strip():
                    self.add_error(name, required)
        return cleaned

    def target_phase(self) -> Phase | None:
        """Where `advance` leads: the only next phase, or the one chosen."""
        if len(self.next_phases) == 1:
            return self.next_phases[0]
        chosen = self.cleaned_data.get("to_phase") if hasattr(self, "cleaned_data") else None
        return Phase(chosen) if chosen else None

    @property
    def budget_granted_cents(self) -> int:
        euros = self.cleaned_data.get("budget_granted") or Decimal(0)
        return int((euros * 100).to_integral_value())

    def targets(self) -> dict:
        """The new targets typed, by indicator (blank fields set none)."""
        return {
            indicator: self.cleaned_data[f"target_{indicator.pk}"]
            for indicator in self.indicators
            if self.cleaned_data.get(f"target_{indicator.pk}") is not None
        }


class GateEvidenceForm(WorkspaceForm):
    """The evidence of one evidence-based entry criterion (prefixed by the criterion)."""

    met = forms.BooleanField(label=_("Critère rempli"), required=False)
    evidence_url = url_field(
        _("Preuve (lien)"),
        help_text=_("Compte rendu d’entretiens, étude, délibération… Exemple : https://…"),
    )
    note = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, criterion, **kwargs):
        super().__init__(*args, prefix=f"critere-{criterion.pk}", **kwargs)
        self.criterion = criterion

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("met")
            and not cleaned.get("evidence_url")
            and "evidence_url" not in self.errors
        ):
            self.add_error(
                "evidence_url", _("Donnez le lien vers la preuve pour cocher ce critère.")
            )
        return cleaned
