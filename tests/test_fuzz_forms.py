"""Every form of the project under generated input: a French error or a valid record.

Hypothesis fills each form with what browsers and scripts really send:
accents, emoji, control characters, very long text, out-of-range numbers,
dates from 0001-01-01 to 9999-12-31, empty or missing fields, several values
for one field, unknown choices, files with random bytes and a lying name.
Validation must never raise; an invalid form must explain itself in French;
a valid model form must save. Then the main workspace views get the same data
through the test client, as a member of the right role: never a 500, and
nothing written unless the view accepted the input (a redirect).

A new form class fails `test_every_form_is_fuzzed_or_excluded` until it is
listed in FORMS or, with the reason, in EXCLUDED.
"""

import datetime
import importlib
import inspect
import pkgutil
import re
from decimal import Decimal
from types import SimpleNamespace

from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict

import pytest
from allauth.core import context as allauth_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.forms import AccountDeleteForm, ProfileForm, SignupForm
from cms.models.directory import StartupFilterForm
from cms.models.lessons import LessonFilterForm
from incubator.admin_views import PhaseDecisionForm
from incubator.enums import MembershipRole, Phase
from incubator.forms import (
    ExperimentCloseForm,
    ExperimentForm,
    FailureForm,
    IndicatorForm,
    LessonForm,
    LessonFormSet,
    MeasurementForm,
    MilestoneForm,
    ReportRequestForm,
    StartupProfileForm,
)
from incubator.forms_board import BoardFilterForm, GateEvidenceForm, ReviewForm
from incubator.models import Experiment, Indicator, Measurement, Membership, Milestone, Theme
from programs import services as program_services
from programs.admin_views import ManualPaymentForm, ReasonForm
from programs.calls import QuestionKind
from programs.forms import ApplicationForm, DocumentForm
from programs.forms_selection import (
    AcceptForm,
    CommentForm,
    RejectForm,
    ScoresForm,
    SelectionFilterForm,
)
from tests.factories import (
    CallForProjectsFactory,
    CallQuestionFactory,
    CohortFactory,
    SelectionCriterionFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROJECT_PACKAGES = ("accounts", "incubator", "programs", "cms")
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- What is fuzzed, what is not and why ---------------------------------------------------

# Each form, built the way its view builds it, from `world` (the records below).
FORMS = {
    "accounts.forms.SignupForm": lambda w, data, files: SignupForm(data),
    "accounts.forms.ProfileForm": lambda w, data, files: ProfileForm(data, instance=w.agent),
    "accounts.forms.AccountDeleteForm": lambda w, data, files: AccountDeleteForm(
        data, user=w.agent
    ),
    "cms.models.directory.StartupFilterForm": lambda w, data, files: StartupFilterForm(
        data,
        incubateur=[(w.startup.incubator.slug, w.startup.incubator.name)],
        territoire=[(w.territory.slug, w.territory.name)],
        thematique=[(w.theme.slug, w.theme.name)],
    ),
    "cms.models.lessons.LessonFilterForm": lambda w, data, files: LessonFilterForm(
        data,
        cause=[("no_funding", "Financement")],
        thematique=[(w.theme.slug, w.theme.name)],
        type_territoire=[("commune", "Commune")],
    ),
    "incubator.admin_views.PhaseDecisionForm": lambda w, data, files: PhaseDecisionForm(data),
    "incubator.forms.MilestoneForm": lambda w, data, files: MilestoneForm(data),
    "incubator.forms.ExperimentForm": lambda w, data, files: ExperimentForm(data),
    "incubator.forms.ExperimentCloseForm": lambda w, data, files: ExperimentCloseForm(data),
    "incubator.forms.IndicatorForm": lambda w, data, files: IndicatorForm(data),
    "incubator.forms.MeasurementForm": lambda w, data, files: MeasurementForm(data),
    "incubator.forms.FailureForm": lambda w, data, files: FailureForm(data, startup=w.startup),
    "incubator.forms.LessonForm": lambda w, data, files: LessonForm(data),
    "incubator.forms.BaseLessonFormSet": lambda w, data, files: LessonFormSet(
        data, prefix="lecons"
    ),
    "incubator.forms.StartupProfileForm": lambda w, data, files: StartupProfileForm(
        data, instance=w.startup
    ),
    "incubator.forms.ReportRequestForm": lambda w, data, files: ReportRequestForm(
        data, yearly=False, today=timezone.localdate()
    ),
    "incubator.forms_board.BoardFilterForm": lambda w, data, files: BoardFilterForm(
        data,
        cohorts=[(str(w.cohort.pk), w.cohort.name)],
        territories=[(str(w.territory.pk), w.territory.name)],
    ),
    "incubator.forms_board.ReviewForm": lambda w, data, files: ReviewForm(
        data,
        startup=w.startup,
        indicators=w.review_indicators,
        checklists={Phase.CONSTRUCTION: [{"met": False}]},
    ),
    "incubator.forms_board.GateEvidenceForm": lambda w, data, files: GateEvidenceForm(
        data, criterion=SimpleNamespace(pk=7)
    ),
    "programs.admin_views.ManualPaymentForm": lambda w, data, files: ManualPaymentForm(data),
    "programs.admin_views.ReasonForm": lambda w, data, files: ReasonForm(data),
    "programs.forms.ApplicationForm": lambda w, data, files: ApplicationForm(data, call=w.call),
    "programs.forms.DocumentForm": lambda w, data, files: DocumentForm(data, files),
    "programs.forms_selection.SelectionFilterForm": lambda w, data, files: SelectionFilterForm(
        data, calls=[w.call]
    ),
    "programs.forms_selection.ScoresForm": lambda w, data, files: ScoresForm(
        data, criteria=[w.criterion]
    ),
    "programs.forms_selection.CommentForm": lambda w, data, files: CommentForm(data),
    "programs.forms_selection.AcceptForm": lambda w, data, files: AcceptForm(
        data, cohorts=w.cohort.program.cohorts.all()
    ),
    "programs.forms_selection.RejectForm": lambda w, data, files: RejectForm(data),
}

EXCLUDED = {
    # Bases without fields of their own: fuzzed through every form built on them.
    "accounts.forms.QuietDsfrForm": "base class",
    "incubator.forms.WorkspaceForm": "base class",
    "incubator.forms.PostMortemFields": "fields shared by FailureForm and ReviewForm",
    "cms.models.directory.PublicFilterForm": "base of StartupFilterForm and LessonFilterForm",
    # Wagtail's admin edit form with inline formsets: Wagtail builds and validates it;
    # its one rule (answered questions keep their type) is tested in tests/programs/test_admin.py.
    "programs.admin_forms.CallForProjectsAdminForm": "Wagtail admin form",
}


def project_form_classes() -> set[str]:
    """Every form and formset class defined in the project's apps."""
    found = set()
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, forms.BaseForm | forms.BaseFormSet)
                    and obj.__module__ == module.__name__
                ):
                    found.add(f"{obj.__module__}.{obj.__qualname__}")
    return found


def test_every_form_is_fuzzed_or_excluded():
    assert project_form_classes() == set(FORMS) | set(EXCLUDED)
    assert not set(FORMS) & set(EXCLUDED)


# --- Generated input -------------------------------------------------------------------------

NASTY_TEXT = [
    "",
    " ",
    "\u00a0",
    "Élodie Müller-Ørsted, Saint-Étienne-du-Rouvray",
    "🚀🏛️ Rendez-vous 👩‍👩‍👧",
    "\x00",
    "a\x00b",
    "\x1b[31m\r\n\t\x7f",
    "\u202eRTL\u200b",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "' OR 1=1 --",
    "null",
    "None",
    "x" * 5000,
    "é" * 100_001,
]
NASTY_NUMBERS = [
    "0",
    "-1",
    "1 234,56",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "9" * 40,
    "0.001",
    "12,345,678",
    "-0",
    "3.14159265358979323846",
    "0x10",
    "٣",
]
NASTY_DATES = [
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "31/12/2024",
    "2024-13-01",
    "10000-01-01",
    "-2024-01-01",
    "2024-1-1",
    "aujourd’hui",
]


def text():
    return st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=300))


def field_values(field: forms.Field, valid: list[str]) -> st.SearchStrategy:
    """What one field may receive: valid values, odd ones, several at once, none."""
    if isinstance(field, forms.DateField):
        odd = st.one_of(
            st.sampled_from(NASTY_DATES),
            st.dates().map(datetime.date.isoformat),
            text(),
        )
    elif isinstance(field, forms.DecimalField | forms.IntegerField | forms.FloatField):
        odd = st.one_of(
            st.sampled_from(NASTY_NUMBERS),
            st.integers().map(str),
            st.decimals(allow_nan=True, allow_infinity=True).map(str),
            text(),
        )
    elif isinstance(field, forms.URLField):
        odd = st.one_of(
            st.sampled_from(
                ["exemple.fr", "https://exemple.fr/é?q=1", "javascript:alert(1)", "http://[::1"]
            ),
            text(),
        )
    elif isinstance(field, forms.EmailField):
        odd = st.one_of(st.sampled_from(["a@b.fr", "é@é.fr", "@", "a@" + "b" * 300]), text())
    else:
        odd = text()
    one = st.one_of(st.sampled_from(valid), odd) if valid else odd
    return st.one_of(one.map(lambda value: [value]), st.lists(one, max_size=3))


def valid_values(field: forms.Field) -> list[str]:
    if isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField):
        return [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:5]]
    if isinstance(field, forms.ChoiceField):
        return [str(value) for value, _label in field.choices if value != ""]
    if isinstance(field, forms.BooleanField):
        return ["on", "true", "false", ""]
    return []


def uploads() -> st.SearchStrategy:
    """A file with random bytes and a name that lies about them."""
    names = st.sampled_from(
        ["dossier.pdf", "lettre.docx", "note.odt", "../../etc/passwd", "é 🚀.pdf", "x" * 300, ""]
    )
    contents = st.one_of(
        st.just(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
        st.binary(max_size=2048),
    )
    return st.builds(
        lambda name, content: SimpleUploadedFile(name or "sans-nom", content), names, contents
    )


def plausible_values(field: forms.Field, valid: list[str]) -> list[str]:
    """What a careful user would type: the valid path must be reached too."""
    if valid:
        return [value for value in valid if value != "false"]
    if isinstance(field, forms.DateField):
        return ["2025-03-01", "01/03/2025", "2025-06-30"]
    if isinstance(field, forms.DecimalField | forms.IntegerField):
        return ["3", "1", "0"]
    if isinstance(field, forms.URLField):
        return ["https://exemple.fr/démo", "exemple.fr"]
    if isinstance(field, forms.EmailField):
        return ["camille@exemple.fr"]
    return ["Texte ordinaire, accentué : « été » 🚀", "SUPPRIMER", "Lyon"]


# A formset's management form as a browser sends it: a new formset, 1 to 3 forms.
MANAGEMENT = {"TOTAL_FORMS": ["1", "2", "3"], "INITIAL_FORMS": ["0"]}


def fields_data(bound_fields) -> st.SearchStrategy:
    """All fields plausible; all plausible but one fuzzed; or everything fuzzed, keys missing."""
    good, odd = {}, {}
    for bound in bound_fields:
        if isinstance(bound.field, forms.FileField):
            good[bound.html_name] = odd[bound.html_name] = uploads().map(lambda upload: [upload])
            continue
        valid = valid_values(bound.field)
        plausible = MANAGEMENT.get(bound.name) or plausible_values(bound.field, valid)
        if not bound.field.required and "" not in plausible:
            # An optional field left blank (FailureForm: no experiment nor milestone).
            plausible = [*plausible, ""]
        good[bound.html_name] = st.sampled_from(plausible).map(lambda value: [value])
        odd[bound.html_name] = field_values(bound.field, valid)
    if not good:
        return st.just({})
    one_odd = st.sampled_from(sorted(good)).flatmap(
        lambda name: st.fixed_dictionaries({**good, name: odd[name]})
    )
    return st.one_of(st.fixed_dictionaries(good), one_odd, st.fixed_dictionaries({}, optional=odd))


def split_files(data: dict) -> tuple[dict, dict]:
    files = {name: values for name, values in data.items() if values and hasattr(values[0], "read")}
    return {name: values for name, values in data.items() if name not in files}, files


def bound_fields(form_or_formset) -> list:
    """The fields a browser posts: a formset's management form, then each of its forms."""
    if isinstance(form_or_formset, forms.BaseFormSet):
        management = list(form_or_formset.management_form)
        return management + [bound for form in form_or_formset.forms for bound in form]
    return list(form_or_formset)


def form_data(*forms_or_formsets) -> st.SearchStrategy:
    return fields_data([bound for each in forms_or_formsets for bound in bound_fields(each)])


# --- Checks ----------------------------------------------------------------------------------

# Words of Django's and Python's English messages that French never uses.
ENGLISH = re.compile(
    r"\b(the|this|field|enter|ensure|select|must|please|required|invalid|characters|"
    r"number|submitted|is|are|value|whole|digits|at least|at most|not a valid)\b",
    re.IGNORECASE,
)


def error_messages(form_or_formset) -> list[str]:
    if isinstance(form_or_formset, forms.BaseFormSet):
        messages = list(form_or_formset.non_form_errors())
        for form in form_or_formset.forms:
            messages += error_messages(form)
        return messages
    return [str(message) for errors in form_or_formset.errors.values() for message in errors]


def assert_french(messages: list[str], sent: dict):
    """No English in the error messages (what the user typed is left out of the check)."""
    for message in messages:
        text_only = message
        for values in sent.values():
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and value:
                    text_only = text_only.replace(value, "")
        assert not ENGLISH.search(text_only), f"Message d’erreur en anglais : {message!r}"


def as_querydict(data: dict) -> MultiValueDict:
    return MultiValueDict({name: list(values) for name, values in data.items()})


def row_counts() -> dict[str, int]:
    """Rows of every domain table: a write, even a partial one, changes one of them."""
    return {
        model._meta.label: model.objects.count()
        for app in ("accounts", "incubator", "programs")
        for model in apps.get_app_config(app).get_models()
    }


# --- The records the forms and views work on --------------------------------------------------


@pytest.fixture
def world(settings):
    """A startup with its agent and coach, records to link to, an open call and applications."""
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    agent = UserFactory(display_name="Agent Fuzz")
    coach = UserFactory(coach=True)
    cohort = CohortFactory()
    cohort.program.incubator.coaches.add(coach)
    cohort.coaches.add(coach)
    startup = StartupFactory(
        name="Fuzz",
        incubator=cohort.program.incubator,
        cohort=cohort,
        started_on=datetime.date(2025, 1, 6),
    )
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    territory = TerritoryFactory(name="Ville d’Évry")
    theme = Theme.objects.create(name="Santé", slug="sante")
    indicator = Indicator.objects.create(startup=startup, name="Usagers", unit="usagers")
    Measurement.objects.create(
        indicator=indicator, date=datetime.date(2025, 3, 1), value=Decimal(3)
    )
    indicator.latest_value, indicator.latest_date = Decimal(3), datetime.date(2025, 3, 1)
    indicator.previous_target = Decimal(10)
    experiment = Experiment.objects.create(
        startup=startup,
        hypothesis="Un SMS de rappel réduit les absences.",
        success_criterion="20 % d’absences en moins",
        start_date=datetime.date(2025, 1, 6),
    )
    milestone = Milestone.objects.create(startup=startup, title="Premier usager")
    today = timezone.localdate()
    call = CallForProjectsFactory(
        program=cohort.program,
        opens_on=today - datetime.timedelta(days=10),
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )
    for kind in (QuestionKind.TEXT, QuestionKind.LONG_TEXT, QuestionKind.YES_NO):
        CallQuestionFactory(call=call, kind=kind, label=f"Question {kind}")
    CallQuestionFactory(call=call, kind=QuestionKind.CHOICE, choices="Oui\nNon\nPeut-être")
    criterion = SelectionCriterionFactory(program=cohort.program, label="Impact")
    applicant = UserFactory()
    application = program_services.application_save_draft(
        call=call, applicant=applicant, now=timezone.now(), title="Guichet sans attente"
    )
    submitter = UserFactory()
    submitted = program_services.application_submit(
        program_services.application_save_draft(
            call=call,
            applicant=submitter,
            now=timezone.now(),
            title="Cantine sans plastique",
            problem_statement="Trop de barquettes jetées.",
            sponsor_territory=territory,
            sponsor_contact_name="Dominique Élu",
            sponsor_contact_email="dominique@evry.example.fr",
            sponsor_contact_role="Directrice",
            answers={
                question.pk: True if question.kind == QuestionKind.YES_NO else "Oui"
                for question in call.questions.all()
            },
        ),
        user=submitter,
    )
    return SimpleNamespace(
        agent=agent,
        coach=coach,
        cohort=cohort,
        startup=startup,
        territory=territory,
        theme=theme,
        indicator=indicator,
        review_indicators=[indicator],
        experiment=experiment,
        milestone=milestone,
        call=call,
        criterion=criterion,
        applicant=applicant,
        application=application,
        submitted=submitted,
    )


# --- Forms ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_form_gives_french_errors_or_a_valid_record(world, name):
    build = FORMS[name]

    @given(generated=form_data(build(world, None, None)))
    @FUZZ
    def check(generated):
        data, files = split_files(generated)
        # allauth reads the request of its context (AccountDeleteForm checks the password).
        with (
            translation.override("fr"),
            allauth_context.request_context(RequestFactory().post("/")),
            transaction.atomic(),
        ):
            form = build(world, as_querydict(data), as_querydict(files))
            if form.is_valid():
                if isinstance(form, forms.BaseModelForm):
                    form.save()  # a valid model form saves; rolled back below
            else:
                assert_french(error_messages(form), data)
            transaction.set_rollback(True)

    check()


# --- The main views, through the test client ---------------------------------------------------


def startup_url(name, *extra):
    return lambda w: reverse(f"workspace:{name}", args=[w.startup.slug, *extra_args(w, extra)])


def extra_args(w, names):
    return [getattr(w, name).pk for name in names]


def lessons(prefix):
    return lambda w: LessonFormSet(prefix=prefix)


# (view, who posts, its URL, the forms whose fields it reads)
VIEWS = {
    "milestone_create": (
        "agent",
        startup_url("milestone_create"),
        [FORMS["incubator.forms.MilestoneForm"]],
    ),
    "experiment_create": (
        "agent",
        startup_url("experiment_create"),
        [FORMS["incubator.forms.ExperimentForm"]],
    ),
    "experiment_close": (
        "agent",
        startup_url("experiment_close", "experiment"),
        [FORMS["incubator.forms.ExperimentCloseForm"]],
    ),
    "indicator_create": (
        "agent",
        startup_url("indicator_create"),
        [FORMS["incubator.forms.IndicatorForm"]],
    ),
    "measurement_create": (
        "agent",
        startup_url("measurement_create", "indicator"),
        [FORMS["incubator.forms.MeasurementForm"]],
    ),
    "failure_create": (
        "agent",
        startup_url("failure_create"),
        [
            FORMS["incubator.forms.FailureForm"],
            lambda w, data, files: LessonFormSet(prefix="lecons"),
        ],
    ),
    "startup_profile_update": (
        "agent",
        startup_url("startup_profile_update"),
        [FORMS["incubator.forms.StartupProfileForm"]],
    ),
    "review_create": (
        "coach",
        startup_url("review_create"),
        [
            FORMS["incubator.forms_board.ReviewForm"],
            lambda w, data, files: LessonFormSet(prefix="lecon"),
        ],
    ),
    "application_create": (
        "applicant",
        lambda w: reverse("workspace:application_create", args=[w.call.slug]),
        [FORMS["programs.forms.ApplicationForm"]],
    ),
    "application_document_add": (
        "applicant",
        lambda w: reverse("workspace:application_document_add", args=[w.application.pk]),
        [FORMS["programs.forms.DocumentForm"]],
    ),
    "selection_score": (
        "coach",
        lambda w: reverse("workspace:selection_score", args=[w.submitted.pk]),
        [FORMS["programs.forms_selection.ScoresForm"]],
    ),
    "selection_comment": (
        "coach",
        lambda w: reverse("workspace:selection_comment", args=[w.submitted.pk]),
        [FORMS["programs.forms_selection.CommentForm"]],
    ),
    "selection_accept": (
        "coach",
        lambda w: reverse("workspace:selection_accept", args=[w.submitted.pk]),
        [FORMS["programs.forms_selection.AcceptForm"]],
    ),
    "selection_reject": (
        "coach",
        lambda w: reverse("workspace:selection_reject", args=[w.submitted.pk]),
        [FORMS["programs.forms_selection.RejectForm"]],
    ),
}


def forms_in(context) -> list:
    """The bound forms and formsets a response rendered (their errors are what the user reads)."""
    contexts = [] if context is None else context if isinstance(context, list) else [context]
    return [
        value
        for each in contexts
        for value in each.flatten().values()
        if isinstance(value, forms.BaseForm | forms.BaseFormSet) and value.is_bound
    ]


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_view_answers_in_french_and_writes_nothing_it_refuses(world, view):
    role, url_of, builders = VIEWS[view]
    client = Client()
    client.force_login(getattr(world, role))
    url = url_of(world)
    strategy = form_data(*(build(world, None, None) for build in builders))

    @given(data=strategy)
    @FUZZ
    def check(data):
        with transaction.atomic():
            before = row_counts()
            response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="fr")  # a 500 raises here
            if response.status_code != 302:  # not accepted: nothing written, errors in French
                assert row_counts() == before
                for form in forms_in(response.context):
                    assert_french(error_messages(form), data)
            transaction.set_rollback(True)

    check()
