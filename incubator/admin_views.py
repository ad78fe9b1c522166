"""Back-office views added to the Wagtail admin: phase decisions and edit history.

Phase changes never go through a model form: this view calls the service,
which writes the history row and enforces the rules.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incubator import services
from incubator.enums import TERMINAL_PHASES, Phase
from incubator.exceptions import IncubatorError
from incubator.models import Failure, Lesson, Startup
from incubator.permissions import is_network_staff


class PhaseDecisionForm(forms.Form):
    to_phase = forms.ChoiceField(label=gettext_lazy("Nouvelle phase"), choices=Phase.choices)
    on = forms.DateField(
        label=gettext_lazy("Date de la décision"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    pivot = forms.BooleanField(
        label=gettext_lazy("Pivot (retour d’une phase en arrière)"), required=False
    )
    rationale = forms.CharField(
        label=gettext_lazy("Justification"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, startup=None, **kwargs):
        super().__init__(*args, **kwargs)
        if startup is not None:  # only the phases the service would accept
            possible = services.phase_decision_targets(startup.phase)
            self.fields["to_phase"].choices = [
                (value, label) for value, label in Phase.choices if value in possible
            ]


def startup_phase(request, pk):
    """Record a phase decision (or, for staff, reopen a finished startup)."""
    if not is_network_staff(request.user):
        raise PermissionDenied
    startup = get_object_or_404(Startup, pk=pk)
    suggested = services.next_phases(startup.phase) if startup.phase not in TERMINAL_PHASES else []
    form = PhaseDecisionForm(
        request.POST or None,
        initial={"to_phase": suggested[0] if suggested else Phase.INVESTIGATION},
        startup=startup,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if startup.phase in TERMINAL_PHASES:
                services.startup_reopen(
                    startup=startup,
                    to_phase=data["to_phase"],
                    actor=request.user,
                    on=data["on"],
                    rationale=data["rationale"],
                )
            else:
                services.startup_change_phase(
                    startup=startup,
                    to_phase=data["to_phase"],
                    actor=request.user,
                    on=data["on"],
                    rationale=data["rationale"],
                    pivot=data["pivot"],
                )
        except IncubatorError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("La décision de phase est enregistrée."))
            return redirect(reverse("wagtailsnippets_incubator_startup:list"))
    return TemplateResponse(
        request,
        "incubator/admin/startup_phase.html",
        {
            "startup": startup,
            "form": form,
            "transitions": startup.transitions.select_related("decided_by", "review"),
            "is_terminal": startup.phase in TERMINAL_PHASES,
        },
    )


def _readable_changes(newer, older) -> list[dict]:
    """What changed between two saved versions, with French labels and display values.

    Compared by hand rather than with `diff_against`, which skips non-editable
    fields, and those (phase, deadline) are exactly what services change.
    """
    if older is None:
        return []
    readable = []
    for field in newer.instance_type._meta.concrete_fields:
        if field.name in {"id", "updated"}:
            continue
        old, new = getattr(older, field.attname), getattr(newer, field.attname)
        if old == new:
            continue
        if field.is_relation:
            old, new = getattr(older, field.name), getattr(newer, field.name)
        elif field.choices:
            choices = dict(field.flatchoices)
            old, new = choices.get(old, old), choices.get(new, new)
        readable.append({"label": field.verbose_name, "old": old, "new": new})
    return readable


HISTORY_MODELS = {"startup": Startup, "failure": Failure, "lesson": Lesson}


def record_history(request, model_name, pk):
    """Every saved version of a startup, failure or lesson, with what changed."""
    if not is_network_staff(request.user) or model_name not in HISTORY_MODELS:
        raise PermissionDenied
    record = get_object_or_404(HISTORY_MODELS[model_name], pk=pk)
    versions = list(record.history.select_related("history_user").order_by("-history_date"))
    rows = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        rows.append({"version": newer, "changes": _readable_changes(newer, older)})
    return TemplateResponse(
        request,
        "incubator/admin/record_history.html",
        {"record": record, "rows": rows, "model_label": record._meta.verbose_name},
    )
