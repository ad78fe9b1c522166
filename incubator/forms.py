"""Workspace forms: they parse and present input; the rules live in `incubator.services`.

Field names match the keyword arguments of the service each form feeds, so a
view passes `**form.cleaned_data` and a refusal naming a field lands beside it.
"""

import datetime
import html

from django import forms
from django.db import models
from django.forms.models import model_to_dict
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from dsfr.forms import DsfrBaseForm

from incubator.enums import (
    ExperimentOutcome,
    FailureReason,
    FailureScope,
    IndicatorDirection,
    MilestoneStatus,
    Visibility,
)
from incubator.models import Milestone, Startup, Territory, Theme


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def url_field(label, **kwargs) -> forms.URLField:
    # https by default (Django 6 behaviour) for addresses typed without a scheme.
    return forms.URLField(
        label=label, assume_scheme="https", max_length=500, required=False, **kwargs
    )


class LocalizedDecimalField(forms.DecimalField):
    """A number typed the French way: decimal comma, spaces between thousands ("1 234,5")."""

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split())  # also drops non-breaking spaces
        return super().to_python(value)


def decimal_field(label, **kwargs) -> forms.DecimalField:
    return LocalizedDecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        **kwargs,
    )


class LightSelect(forms.Select):
    """A flat `<select>` rendered in Python.

    Django renders each option through a template: 65 ms for the 750 options of
    the directory's filters at network scale, more than the rest of the page.
    Same HTML, without option groups.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        # html.escape, not format_html: 0.3 µs an option instead of 4.
        options = "".join(
            f'<option value="{html.escape(str(option))}"'
            f"{' selected' if str(option) in selected else ''}>{html.escape(str(label))}</option>"
            for option, label in self.choices
        )
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{html.escape(name)}"{attrs}>{options}</select>')  # noqa: S308 (every value escaped above)


class WorkspaceForm(DsfrBaseForm):
    """DsfrBaseForm without its render-time deprecation warning (warnings fail the tests)."""

    def get_context(self):
        # DsfrBaseForm.get_context warns on every render whatever the settings say;
        # required fields keep their DSFR marker (the dsfr_tags default).
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False
        return context


class MilestoneForm(WorkspaceForm):
    title = forms.CharField(label=_("Intitulé"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(
        label=_("État"), choices=MilestoneStatus.choices, initial=MilestoneStatus.PLANNED
    )
    due_date = forms.DateField(label=_("Échéance"), required=False, widget=date_input())
    achieved_on = forms.DateField(
        label=_("Atteint le"),
        required=False,
        widget=date_input(),
        help_text=_("Obligatoire pour un jalon atteint."),
    )
    evidence_url = url_field(
        _("Preuve (lien)"),
        help_text=_("Adresse web d’une démonstration, d’un article, d’un compte rendu…"),
    )

    @classmethod
    def for_milestone(cls, milestone: Milestone, data=None):
        """The form pre-filled with an existing milestone."""
        return cls(data, initial=model_to_dict(milestone, fields=list(cls.base_fields)))


class ExperimentForm(WorkspaceForm):
    hypothesis = forms.CharField(
        label=_("Hypothèse"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ce que vous pensez vrai et voulez vérifier sur le terrain."),
    )
    territory = forms.ModelChoiceField(
        label=_("Territoire d’expérimentation"),
        queryset=Territory.objects.order_by("name"),
        empty_label=_("Choisir un territoire"),
    )
    protocol = forms.CharField(label=_("Protocole"), widget=forms.Textarea(attrs={"rows": 4}))
    success_criterion = forms.CharField(
        label=_("Critère de réussite"), widget=forms.Textarea(attrs={"rows": 2})
    )
    start_date = forms.DateField(label=_("Début"), widget=date_input())
    end_date = forms.DateField(label=_("Fin prévue"), required=False, widget=date_input())


class ExperimentCloseForm(WorkspaceForm):
    outcome = forms.ChoiceField(
        label=_("Résultat"),
        choices=[c for c in ExperimentOutcome.choices if c[0] != ExperimentOutcome.RUNNING],
        widget=forms.RadioSelect,
    )
    learnings = forms.CharField(
        label=_("Enseignements"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": _(
                "Notez ce que l’expérimentation vous a appris : c’est obligatoire pour la clore."
            )
        },
    )
    end_date = forms.DateField(label=_("Fin"), widget=date_input(), initial=timezone.localdate)


class IndicatorForm(WorkspaceForm):
    name = forms.CharField(label=_("Nom"), max_length=200)
    unit = forms.CharField(
        label=_("Unité"),
        max_length=50,
        required=False,
        help_text=_("Par exemple : usagers, jours, €."),
    )
    description = forms.CharField(
        label=_("Définition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ce qui est compté, comment et à quelle fréquence."),
    )
    target = decimal_field(_("Cible"), required=False)
    direction = forms.ChoiceField(
        label=_("Sens"),
        choices=IndicatorDirection.choices,
        initial=IndicatorDirection.UP,
        widget=forms.RadioSelect,
    )
    is_public = forms.BooleanField(
        label=_("Indicateur public"),
        required=False,
        initial=True,
        help_text=_("Affiché sur la fiche publique et dans les données ouvertes."),
    )


class MeasurementForm(WorkspaceForm):
    date = forms.DateField(label=_("Date"), widget=date_input(), initial=timezone.localdate)
    value = decimal_field(_("Valeur"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PostMortemFields(WorkspaceForm):
    """The three texts and the consent of a post-mortem (failure form and committee stop)."""

    what_we_learned = forms.CharField(
        label=_("Ce que nous avons appris"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    why_we_stop = forms.CharField(
        label=_("Pourquoi nous arrêtons"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    advice_for_relaunch = forms.CharField(
        label=_("Conseils pour qui relancerait le projet"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    publication_consent = forms.BooleanField(
        label=_("Accord pour publier"),
        required=False,
        help_text=_("L’équipe accepte que ce retour d’expérience soit public."),
    )


class FailureForm(PostMortemFields):
    """What failed; the related experiment or milestone is one of this startup's."""

    # The shared post-mortem fields come after the ones that say what failed.
    field_order = [
        "scope",
        "experiment",
        "milestone",
        "occurred_on",
        "reason",
        "what_we_learned",
        "why_we_stop",
        "advice_for_relaunch",
        "publication_consent",
    ]

    scope = forms.ChoiceField(
        label=_("Ce qui a échoué"), choices=FailureScope.choices, widget=forms.RadioSelect
    )
    experiment = forms.ModelChoiceField(
        label=_("Expérimentation concernée"),
        queryset=None,
        required=False,
        empty_label=_("Aucune"),
    )
    milestone = forms.ModelChoiceField(
        label=_("Jalon concerné"), queryset=None, required=False, empty_label=_("Aucun")
    )
    occurred_on = forms.DateField(label=_("Date"), widget=date_input(), initial=timezone.localdate)
    reason = forms.ChoiceField(
        label=_("Cause principale"),
        # "To document" is for imported stops only: a team always gives a reason.
        choices=[c for c in FailureReason.choices if c[0] != FailureReason.TO_DOCUMENT],
    )

    def __init__(self, *args, startup: Startup, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experiment"].queryset = startup.experiments.order_by("-start_date", "pk")
        self.fields["milestone"].queryset = startup.milestones.order_by("-due_date", "pk")

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope")
        # A link that does not match the scope would misfile the failure.
        if cleaned.get("experiment") and scope != FailureScope.EXPERIMENT:
            self.add_error(
                "experiment",
                _("Ne choisissez une expérimentation que si c’est elle qui a échoué."),
            )
        if cleaned.get("milestone") and scope != FailureScope.MILESTONE:
            self.add_error("milestone", _("Ne choisissez un jalon que si c’est lui qui a échoué."))
        return cleaned


class LessonForm(WorkspaceForm):
    title = forms.CharField(label=_("Titre"), max_length=300)
    body = forms.CharField(label=_("Leçon"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(
        label=_("Visibilité"),
        choices=Visibility.choices,
        initial=Visibility.PRIVATE,
        widget=forms.RadioSelect,
        help_text=_("Une leçon publique rejoint la bibliothèque partagée entre territoires."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Thématiques"),
        queryset=Theme.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No theme defined yet: an empty group of checkboxes would only confuse.
        if not self.fields["themes"].queryset.exists():
            del self.fields["themes"]


class BaseLessonFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_few_forms": _("Écrivez au moins une leçon apprise."),
        "too_many_forms": _("Trois leçons au plus par échec."),
    }

    def lessons(self) -> list[dict]:
        """The lessons written, as `lesson_create` arguments (blank extra forms skipped)."""
        return [form.cleaned_data for form in self.forms if form.has_changed()]


# One lesson required, up to three, in the same form as the failure.
LessonFormSet = forms.formset_factory(
    LessonForm,
    formset=BaseLessonFormSet,
    extra=2,
    min_num=1,
    max_num=3,
    validate_min=True,
    validate_max=True,
)


def _profile_formfield(db_field: models.Field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class StartupProfileForm(forms.ModelForm, WorkspaceForm):
    class Meta:
        model = Startup
        fields = [
            "pitch",
            "problem",
            "target_users",
            "solution_hypothesis",
            "description",
            "website",
            "repository",
            "stats_url",
            "impact_url",
            "budget_url",
            "visibility",
        ]
        formfield_callback = _profile_formfield
        help_texts = {
            "pitch": _("Une phrase : pour qui, quel problème, quelle solution."),
            "visibility": _("Une startup privée n’apparaît ni sur le site public ni dans l’API."),
        }
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 4}),
            "target_users": forms.Textarea(attrs={"rows": 3}),
            "solution_hypothesis": forms.Textarea(attrs={"rows": 4}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "visibility": forms.RadioSelect,
        }


class ReportRequestForm(WorkspaceForm):
    """The period and version of a report to generate; an incubator report covers a year."""

    VERSION_CHOICES = [
        ("internal", _("Interne : toutes les données, pour l’équipe et les coachs")),
        ("public", _("Publique : données publiques seulement, publiable")),
    ]

    year = forms.TypedChoiceField(label=_("Année"), coerce=int)
    start = forms.DateField(label=_("Du"), widget=date_input(), required=False)
    end = forms.DateField(label=_("Au"), widget=date_input(), required=False)
    version = forms.ChoiceField(
        label=_("Version"), choices=VERSION_CHOICES, widget=forms.RadioSelect, initial="internal"
    )

    YEARS_BACK = 10

    def __init__(self, *args, yearly: bool, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.yearly = yearly
        years = range(today.year, today.year - self.YEARS_BACK - 1, -1)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["year"].initial = today.year
        if yearly:
            del self.fields["start"], self.fields["end"]
        else:
            self.fields["year"].required = False
            self.fields["year"].choices = [
                ("", _("Autre période (dates ci-dessous)")),
                *self.fields["year"].choices,
            ]
            self.fields["year"].help_text = _("Une année civile, ou bien les dates ci-dessous.")

    def clean(self):
        data = super().clean()
        if self.yearly or data.get("year"):
            year = data.get("year")
            if year:
                data["start"], data["end"] = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
            return data
        start, end = data.get("start"), data.get("end")
        if not (start and end) and not self.errors:
            raise forms.ValidationError(_("Choisissez une année, ou bien les deux dates."))
        if start and end and start > end:
            self.add_error("end", _("La fin doit suivre le début."))
        return data
