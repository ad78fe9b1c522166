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


class ScoreForm(WorkspaceForm):
    """My score on one criterion; the 0–5 range is the service's rule."""

    criterion = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    score = forms.IntegerField(
        label=_("Ma note"),
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_SCORE, "step": 1}),
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = criteria


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
