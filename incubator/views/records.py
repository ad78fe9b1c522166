"""The team's forms: milestones, experiments, indicators, failures and the startup profile.

Every view fetches the startup through `startups_visible_to` (a private startup
of someone else is a 404), then requires `can_edit_startup` (else 403), then
hands the parsed input to one service; a domain refusal becomes a form error.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from incubator import selectors, services
from incubator.exceptions import IncubatorError
from incubator.forms import (
    ExperimentCloseForm,
    ExperimentForm,
    FailureForm,
    IndicatorForm,
    LessonFormSet,
    MeasurementForm,
    MilestoneForm,
    StartupProfileForm,
)
from incubator.models import Experiment, Indicator, Milestone, Startup
from incubator.permissions import can_edit_startup

FORM_TEMPLATE = "incubator/workspace/records/record_form.html"


def _editable_startup(request, slug: str) -> Startup:
    startup = get_object_or_404(
        selectors.startups_visible_to(user=request.user).select_related("incubator", "cohort"),
        slug=slug,
    )
    if not can_edit_startup(request.user, startup):
        raise PermissionDenied
    return startup


def _submitted(request, form, write: Callable[[dict], object]) -> bool:
    """Validate a posted form and run its service; a domain refusal becomes a form error."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except IncubatorError as error:
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else None, error.message)
        return False
    return True


def _done(request, startup: Startup, message: str):
    messages.success(request, message)
    return redirect("workspace:startup_detail", slug=startup.slug)


def _render(request, startup: Startup, form, *, title: str, submit: str, intro: str = ""):
    return render(
        request,
        FORM_TEMPLATE,
        {"startup": startup, "form": form, "title": title, "submit_label": submit, "intro": intro},
    )


def _data(request):
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET", "POST"])
def milestone_create(request, slug):
    startup = _editable_startup(request, slug)
    form = MilestoneForm(_data(request))
    if _submitted(
        request,
        form,
        lambda data: services.milestone_log(startup=startup, author=request.user, **data),
    ):
        return _done(
            request,
            startup,
            _("Jalon « %(title)s » enregistré.") % {"title": form.cleaned_data["title"]},
        )
    return _render(
        request, startup, form, title=_("Nouveau jalon"), submit=_("Enregistrer le jalon")
    )


@require_http_methods(["GET", "POST"])
def milestone_update(request, slug, pk):
    startup = _editable_startup(request, slug)
    milestone = get_object_or_404(Milestone, pk=pk, startup=startup)
    form = MilestoneForm.for_milestone(milestone, _data(request))
    if _submitted(
        request, form, lambda data: services.milestone_update(milestone=milestone, **data)
    ):
        return _done(
            request, startup, _("Jalon « %(title)s » mis à jour.") % {"title": milestone.title}
        )
    return _render(
        request,
        startup,
        form,
        title=_("Modifier le jalon « %(title)s »") % {"title": milestone.title},
        submit=_("Enregistrer les modifications"),
    )


@require_http_methods(["GET", "POST"])
def experiment_create(request, slug):
    startup = _editable_startup(request, slug)
    form = ExperimentForm(_data(request))
    if _submitted(request, form, lambda data: services.experiment_record(startup=startup, **data)):
        return _done(request, startup, _("Expérimentation enregistrée."))
    return _render(
        request,
        startup,
        form,
        title=_("Nouvelle expérimentation"),
        submit=_("Enregistrer l’expérimentation"),
    )


@require_http_methods(["GET", "POST"])
def experiment_close(request, slug, pk):
    startup = _editable_startup(request, slug)
    experiment = get_object_or_404(Experiment, pk=pk, startup=startup)
    form = ExperimentCloseForm(_data(request))
    if _submitted(
        request, form, lambda data: services.experiment_close(experiment=experiment, **data)
    ):
        return _done(request, startup, _("Expérimentation close, ses enseignements sont notés."))
    return _render(
        request,
        startup,
        form,
        title=_("Clore l’expérimentation"),
        intro=experiment.hypothesis,
        submit=_("Clore l’expérimentation"),
    )


@require_http_methods(["GET", "POST"])
def indicator_create(request, slug):
    startup = _editable_startup(request, slug)
    form = IndicatorForm(_data(request))
    if _submitted(request, form, lambda data: services.indicator_define(startup=startup, **data)):
        return _done(
            request,
            startup,
            _("Indicateur « %(name)s » créé.") % {"name": form.cleaned_data["name"]},
        )
    return _render(
        request, startup, form, title=_("Nouvel indicateur"), submit=_("Créer l’indicateur")
    )


@require_http_methods(["GET", "POST"])
def measurement_create(request, slug, indicator_pk):
    startup = _editable_startup(request, slug)
    indicator = get_object_or_404(Indicator, pk=indicator_pk, startup=startup)
    form = MeasurementForm(_data(request))
    if _submitted(
        request, form, lambda data: services.measurement_add(indicator=indicator, **data)
    ):
        return _done(
            request, startup, _("Mesure de « %(name)s » enregistrée.") % {"name": indicator.name}
        )
    return _render(
        request,
        startup,
        form,
        title=_("Nouvelle mesure de « %(name)s »") % {"name": indicator.name},
        submit=_("Enregistrer la mesure"),
    )


@require_http_methods(["GET", "POST"])
def failure_create(request, slug):
    """A failure and its lessons in one form: both are written, or neither."""
    startup = _editable_startup(request, slug)
    data = _data(request)
    form = FailureForm(data, startup=startup)
    lessons = LessonFormSet(data, prefix="lecons")
    if request.method == "POST":
        # Both are validated first, so every error shows at once.
        valid = all([form.is_valid(), lessons.is_valid()])
        if valid and _submitted(
            request,
            form,
            lambda data: services.failure_record(
                startup=startup, author=request.user, lessons=lessons.lessons(), **data
            ),
        ):
            return _done(request, startup, _("Échec et leçons enregistrés. Merci pour ce retour."))
    return render(
        request,
        "incubator/workspace/records/failure_form.html",
        {
            "startup": startup,
            "form": form,
            "lessons": lessons,
            "title": _("Documenter un échec"),
            "submit_label": _("Enregistrer l’échec et ses leçons"),
        },
    )


@require_http_methods(["GET", "POST"])
def startup_profile_update(request, slug):
    startup = _editable_startup(request, slug)
    form = StartupProfileForm(_data(request), instance=startup)
    if request.method == "POST" and form.is_valid() and not form.has_changed():
        messages.info(request, _("Aucune modification à enregistrer."))
        return redirect("workspace:startup_detail", slug=startup.slug)
    if _submitted(
        request,
        form,
        lambda data: services.startup_update_profile(startup=startup, actor=request.user, **data),
    ):
        return _done(request, startup, _("Présentation de la startup mise à jour."))
    return _render(
        request,
        startup,
        form,
        title=_("Modifier la présentation"),
        submit=_("Enregistrer les modifications"),
    )


urlpatterns = [
    path("startups/<slug:slug>/jalons/nouveau/", milestone_create, name="milestone_create"),
    path(
        "startups/<slug:slug>/jalons/<int:pk>/modifier/",
        milestone_update,
        name="milestone_update",
    ),
    path(
        "startups/<slug:slug>/experimentations/nouvelle/",
        experiment_create,
        name="experiment_create",
    ),
    path(
        "startups/<slug:slug>/experimentations/<int:pk>/clore/",
        experiment_close,
        name="experiment_close",
    ),
    path("startups/<slug:slug>/indicateurs/nouveau/", indicator_create, name="indicator_create"),
    path(
        "startups/<slug:slug>/indicateurs/<int:indicator_pk>/mesures/nouvelle/",
        measurement_create,
        name="measurement_create",
    ),
    path("startups/<slug:slug>/echecs/nouveau/", failure_create, name="failure_create"),
    path(
        "startups/<slug:slug>/presentation/",
        startup_profile_update,
        name="startup_profile_update",
    ),
]
