"""Forms of the selection committee: list filters, scores, comments and decisions.

They parse and present input; the rules (score range, reason, review date…)
live in `programs.services`, whose refusals the views put back on the form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from incubator.forms import WorkspaceForm, date_input
from programs.calls import MAX_SCORE, ApplicationStatus

# Sort keys of the list (GET `tri`) and their labels.
SELECTION_SORTS = {
    "envoi": _("Envoyée le"),
    "note": _("Note moyenne pondérée"),
}


class SelectionFilterForm(WorkspaceForm):
    """The list's GET filters; an invalid value is reported and that filter ignored."""

    appel = forms.ChoiceField(label=_("Appel à projets"), required=False)
    statut = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[
            ("", _("Tous les états")),
            *((value, label) for value, label in ApplicationStatus.choices if value != "draft"),
        ],
    )
    tri = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(f"{sign}{key}", key) for key in SELECTION_SORTS for sign in ("", "-")],
    )

    def __init__(self, *args, calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appel"].choices = [
            ("", _("Tous les appels")),
            *((call.slug, call.title) for call in calls),
        ]

    def value(self, name: str) -> str:
        """The cleaned value of one filter, or "" when absent or invalid."""
        self.is_valid()
        return self.cleaned_data.get(name) or ""


class ScoresForm(WorkspaceForm):
    """My scores on every criterion of the programme at once; a blank one stays as it was."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        out_of_range = _("La note est un nombre entier de 0 à %(max)s.") % {"max": MAX_SCORE}
        self.criteria = {f"critere_{criterion.pk}": criterion for criterion in criteria}
        for name, criterion in self.criteria.items():
            self.fields[name] = forms.IntegerField(
                label=criterion.label,
                help_text=_("Poids %(weight)s") % {"weight": criterion.weight},
                required=False,
                min_value=0,
                max_value=MAX_SCORE,
                error_messages={
                    "invalid": out_of_range,
                    "min_value": out_of_range,
                    "max_value": out_of_range,
                },
                widget=forms.NumberInput(attrs={"min": 0, "max": MAX_SCORE, "step": 1}),
            )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.scores():
            raise forms.ValidationError(_("Donnez au moins une note."))
        return cleaned

    def scores(self) -> dict:
        """{criterion: score} for the criteria given a score."""
        return {
            criterion: self.cleaned_data[name]
            for name, criterion in self.criteria.items()
            if self.cleaned_data.get(name) is not None
        }


class CommentForm(WorkspaceForm):
    body = forms.CharField(
        label=_("Votre commentaire"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visible des seuls coachs du programme, jamais de la personne candidate."),
    )


class AcceptForm(WorkspaceForm):
    cohort = forms.ModelChoiceField(label=_("Promotion"), queryset=None)
    first_review_date = forms.DateField(label=_("Date du premier comité"), widget=date_input())
    reason = forms.CharField(
        label=_("Motif (facultatif)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts


class RejectForm(WorkspaceForm):
    reason = forms.CharField(
        label=_("Motif"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Envoyé par e-mail à la personne candidate."),
    )
