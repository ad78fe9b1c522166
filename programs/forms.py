"""Applicant forms: they parse and present input; the rules live in `programs.services`.

Field names match the service's keyword arguments (and its `question_<pk>`
error fields), so a refusal naming a field lands beside it. Nothing is
required here but the title: a draft may be incomplete, and what a sent
application needs is checked by `application_submit`.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from incubator.forms import WorkspaceForm
from incubator.models import Territory, Theme
from programs.calls import Application, CallForProjects, CallQuestion, QuestionKind

YES, NO = "oui", "non"
ACCEPTED_DOCUMENT_TYPES = ".pdf,.odt,.docx"

_PROFILE_FIELDS = (
    "title",
    "problem_statement",
    "themes",
    "sponsor_territory",
    "sponsor_contact_name",
    "sponsor_contact_email",
    "sponsor_contact_role",
)


def question_field_name(question: CallQuestion) -> str:
    return f"question_{question.pk}"


class ApplicationForm(WorkspaceForm):
    """The application and one field per question of its call (files excepted)."""

    title = forms.CharField(label=_("Titre du projet"), max_length=200)
    problem_statement = forms.CharField(
        label=_("Problème à résoudre"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Qui est concerné, ce qui se passe aujourd’hui, ce que cela coûte."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Thématiques"),
        queryset=Theme.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sponsor_territory = forms.ModelChoiceField(
        label=_("Territoire sponsor"),
        queryset=Territory.objects.order_by("name"),
        required=False,
        empty_label=_("Choisir un territoire"),
        help_text=_("La collectivité qui soutient le projet."),
    )
    sponsor_contact_name = forms.CharField(
        label=_("Contact chez le sponsor"), max_length=200, required=False
    )
    sponsor_contact_email = forms.EmailField(label=_("E-mail du contact"), required=False)
    sponsor_contact_role = forms.CharField(
        label=_("Fonction du contact"), max_length=200, required=False
    )

    def __init__(self, data=None, *, call: CallForProjects, questions=None, **kwargs):
        super().__init__(data, **kwargs)
        self.call = call
        self.questions = [
            question
            for question in (questions if questions is not None else call.questions.all())
            if question.kind != QuestionKind.FILE
        ]
        for question in self.questions:
            self.fields[question_field_name(question)] = self._question_field(question)

    @staticmethod
    def _question_field(question: CallQuestion) -> forms.Field:
        help_text = question.help_text
        if question.required:
            help_text = " ".join(
                filter(None, [help_text, str(_("Réponse obligatoire pour envoyer."))])
            )
        common = {"label": question.label, "help_text": help_text, "required": False}
        if question.kind == QuestionKind.YES_NO:
            return forms.ChoiceField(
                choices=[(YES, _("Oui")), (NO, _("Non"))], widget=forms.RadioSelect, **common
            )
        if question.kind == QuestionKind.CHOICE:
            choices = [(choice, choice) for choice in question.choice_list()]
            return forms.ChoiceField(choices=[("", _("Choisir une réponse")), *choices], **common)
        if question.kind == QuestionKind.LONG_TEXT:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), **common)
        return forms.CharField(max_length=1000, **common)

    @classmethod
    def for_application(cls, application: Application, data=None, *, questions=None):
        """The form pre-filled with a draft and its answers."""
        initial = {name: getattr(application, name) for name in _PROFILE_FIELDS}
        initial["themes"] = list(application.themes.all())
        for answer in application.answers.all():
            if answer.boolean is not None:
                value = YES if answer.boolean else NO
            else:
                value = answer.choice or answer.text
            initial[f"question_{answer.question_id}"] = value
        return cls(data, call=application.call, questions=questions, initial=initial)

    def profile(self) -> dict:
        """The application fields, as `application_save_draft` takes them."""
        return {name: self.cleaned_data[name] for name in _PROFILE_FIELDS}

    def answers(self) -> dict:
        """Question id → str, bool (yes/no) or "" (removes the answer)."""
        answers = {}
        for question in self.questions:
            value = self.cleaned_data.get(question_field_name(question), "")
            if question.kind == QuestionKind.YES_NO:
                value = {YES: True, NO: False}.get(value, "")
            answers[question.pk] = value
        return answers


class DocumentForm(WorkspaceForm):
    file = forms.FileField(
        label=_("Ajouter une pièce jointe"),
        help_text=_("PDF, OpenDocument (.odt) ou Word (.docx), 10 Mo au plus, 3 fichiers au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_DOCUMENT_TYPES}),
        error_messages={"required": _("Choisissez un fichier à joindre.")},
    )
