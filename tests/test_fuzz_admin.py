"""Every form of the admins under generated input: a French error or a valid record.

tests/test_fuzz_forms.py does this for our own form classes; here the same strategies
and checks go through the forms the admins build for us: Wagtail's snippet, page and
site setting forms (from their panels, inline panels included) and the Django admin's.
Each is bound with generated data and validated; a valid one is saved inside a
savepoint, the way its view saves it. Then a few generated inputs are posted through the
real admin views, as a superuser with MFA: never a 500, and when the view does not
accept the input (no redirect), no row added and the edited record unchanged.

A model registered in an admin fails `test_every_admin_model_is_fuzzed_or_excluded` until
it is listed in ADMIN_FORMS or, with the reason, in EXCLUDED.

What is not fuzzed: the content of StreamFields and rich text. Wagtail's widgets read
what its own JavaScript builds (`int(data["body-count"])`, `json.loads` of the Draftail
state) and answer a 500 to anything else; a browser never sends that, only an editor's
crafted request, and the code is Wagtail's. They get valid empty or well-formed values.
Nor the management forms of inline panels (and page comments): modelcluster builds an
"existing" row from any INITIAL_FORMS and raises on a row id that is not a number
(modelcluster/forms.py, `_construct_form`, where Django's own formsets catch it). Each
inline panel gets one new row, whose fields are fuzzed.
"""

import datetime
import json
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict

from wagtail.admin.rich_text.editors.draftail import DraftailRichTextArea
from wagtail.admin.viewsets import viewsets
from wagtail.admin.widgets.chooser import BaseChooser
from wagtail.blocks.base import BlockWidget
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.contrib.settings.views import get_setting_edit_handler
from wagtail.models import Page, Revision, Site, get_page_models

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from cms.models import NewsIndexPage, NewsPage, ProgramPage, SitemapPage, StandardPage
from incubator.enums import ReviewDecision
from incubator.models import Failure, Lesson, Review, Sponsorship
from programs.models import NetworkMembership, PhaseGateCriterion
from tests.factories import TerritoryFactory, UserFactory, document_stop
from tests.test_fuzz_forms import (
    FUZZ,
    MANAGEMENT,
    NASTY_DATES,
    assert_french,
    error_messages,
    field_values,
    forms_in,
    plausible_values,
    split_files,
    text,
    valid_values,
    world,  # noqa: F401 - the fixture, used by name
)

pytestmark = pytest.mark.django_db

STARTED = datetime.date(2025, 1, 6)  # the world's startup starts then
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
PROJECT_APPS = ("accounts", "cms", "incubator", "programs")
# Few examples: each is a whole admin form, and the views render a whole admin page. No
# shrinking either: a failing example is reported as found (shrinking a whole admin
# form takes minutes).
FORM_FUZZ = settings(FUZZ, max_examples=8, phases=NO_SHRINK)
VIEW_FUZZ = settings(FUZZ, max_examples=2, phases=NO_SHRINK)

# --- What is fuzzed, what is not and why ----------------------------------------------------


@dataclass(frozen=True)
class AdminForm:
    kind: str  # "snippet", "page", "setting" or "django"
    actions: tuple[str, ...]  # "add", "edit": what the admin lets a superuser do


ADMIN_FORMS = {
    # Wagtail snippets (incubator/wagtail_hooks.py, programs/wagtail_hooks.py).
    "incubator.Startup": AdminForm("snippet", ("add", "edit")),
    "incubator.Territory": AdminForm("snippet", ("add", "edit")),
    "incubator.Incubator": AdminForm("snippet", ("add", "edit")),
    "incubator.Sponsorship": AdminForm("snippet", ("add", "edit")),
    "incubator.Membership": AdminForm("snippet", ("add", "edit")),
    # Created by the services that check their rules; the admin edits them.
    "incubator.Review": AdminForm("snippet", ("edit",)),
    "incubator.Failure": AdminForm("snippet", ("edit",)),
    "incubator.Lesson": AdminForm("snippet", ("edit",)),
    "programs.Program": AdminForm("snippet", ("add", "edit")),
    "programs.Cohort": AdminForm("snippet", ("add", "edit")),
    "programs.PhaseGateCriterion": AdminForm("snippet", ("add", "edit")),
    "programs.CallForProjects": AdminForm("snippet", ("add", "edit")),
    "programs.SelectionCriterion": AdminForm("snippet", ("add", "edit")),
    "programs.NetworkMembership": AdminForm("snippet", ("add", "edit")),
    # Pages: the edit form (a new page gets the same form class).
    **{
        f"cms.{name}": AdminForm("page", ("edit",))
        for name in (
            "HomePage",
            "StandardPage",
            "SitemapPage",
            "NewsIndexPage",
            "NewsPage",
            "ProgramPage",
            "ReportIndexPage",
            "StartupDirectoryPage",
            "LessonsLibraryPage",
        )
    },
    "cms.SiteIdentity": AdminForm("setting", ("edit",)),
    # Django's admin (accounts/admin.py), a superuser tool.
    "accounts.User": AdminForm("django", ("add", "edit")),
}

# Registered, but no admin form ever binds them: checked by
# `test_excluded_models_really_have_no_admin_form`.
READ_ONLY = "read-only in the admin (ReadOnlyPolicy): written by the services only"
EXCLUDED = {
    "incubator.PhaseTransition": READ_ONLY + " (phase decisions)",
    "incubator.Report": READ_ONLY + " (report requests)",
    "programs.Contribution": READ_ONLY + " (programs.billing)",
    "programs.Payment": READ_ONLY + " (programs.billing)",
    "programs.StripeEvent": READ_ONLY + " (the Stripe webhook)",
}


# Ours by app label, but Wagtail's own admin and forms: not fuzzed here.
WAGTAIL_OWN_FORMS = {
    "cms.PrivateDocument": "Wagtail's document forms (title, file checked by extension, "
    "collection, tags); the model only keeps the file in the private storage",
}


def ours(model) -> bool:
    return model._meta.app_label in PROJECT_APPS


def admin_registered_models() -> dict[str, str]:
    """Every model of ours an admin shows, with where it is registered."""
    get_resolver().resolve("/admin/")  # Wagtail registers its viewsets as its URLs load
    found = {}
    for viewset in viewsets.viewsets:  # snippets and ModelViewSets alike
        model = getattr(viewset, "model", None)
        if isinstance(model, str):  # e.g. the document viewset names the swappable model
            model = apps.get_model(model)
        if model is not None and ours(model):
            found[model._meta.label] = "snippet"
    for model in get_page_models():
        if ours(model):
            found[model._meta.label] = "page"
    for model in settings_registry:
        if ours(model):
            found[model._meta.label] = "setting"
    for model in admin.site._registry:
        if ours(model):
            found[model._meta.label] = "django"
    return found


def test_every_admin_model_is_fuzzed_or_excluded():
    registered = admin_registered_models()
    assert set(registered) == set(ADMIN_FORMS) | set(EXCLUDED) | set(WAGTAIL_OWN_FORMS)
    assert not set(ADMIN_FORMS) & set(EXCLUDED)
    assert {label: form.kind for label, form in ADMIN_FORMS.items()} == {
        label: kind for label, kind in registered.items() if label in ADMIN_FORMS
    }


def permitted_actions(label, user) -> set[str]:
    model = apps.get_model(label)
    policy = model.snippet_viewset.permission_policy
    return {
        action
        for action, permission in (("add", "add"), ("edit", "change"))
        if policy.user_has_permission(user, permission)
    }


def test_the_fuzzed_actions_are_what_the_admin_allows_and_excluded_models_allow_none():
    superuser = UserFactory(superuser=True)
    for label, form in ADMIN_FORMS.items():
        if form.kind == "snippet":
            assert permitted_actions(label, superuser) == set(form.actions), label
    for label in EXCLUDED:
        assert permitted_actions(label, superuser) == set(), label


# --- Generated input -----------------------------------------------------------------------


def draftail_state(text: str) -> str:
    """What Draftail posts for one paragraph of text."""
    block = {
        "key": "a1b2c",
        "type": "unstyled",
        "depth": 0,
        "text": text,
        "inlineStyleRanges": [],
        "entityRanges": [],
        "data": {},
    }
    return json.dumps({"blocks": [block], "entityMap": {}})


def posted(name, field, field_name=None):
    """A field as a browser posts it: its key in the body, its form field, its own name."""
    return SimpleNamespace(html_name=name, field=field, name=field_name or name)


def as_posted(bound, name=None) -> list:
    """One bound field as posted keys; a formset's row may be renamed from its empty form.

    A split date and time (the Django admin's widget) is posted as two keys, a date and a
    time: each is generated as a field of that type.
    """
    name = name or bound.html_name
    if isinstance(bound.field.widget, forms.SplitDateTimeWidget):
        required = bound.field.required
        return [
            posted(f"{name}_0", forms.DateField(required=required)),
            posted(f"{name}_1", forms.TimeField(required=required)),
        ]
    return [posted(name, bound.field, bound.name)]


def admin_fields(form) -> tuple[list, dict, set]:
    """The fields to generate, the fixed values of those left out (see the module's
    docstring), and the keys of the inline rows' hidden ids."""
    fields, fixed, row_ids = [], {}, set()
    candidates = [each for bound in form for each in as_posted(bound)]
    for formset in getattr(form, "formsets", {}).values():  # inline panels
        # One new row, management form untouched: modelcluster's inline formsets raise on
        # a tampered INITIAL_FORMS whose row id is not a number (see the docstring).
        fixed |= {
            formset.management_form[name].html_name: [value]
            for name, value in MANAGEMENT_FIXED.items()
        }
        empty, row = formset.add_prefix("__prefix__"), formset.add_prefix(0)
        for bound in formset.empty_form:
            candidates += as_posted(bound, bound.html_name.replace(empty, row))
        row_ids.add(f"{row}-id")
    for each in candidates:
        widget = each.field.widget
        if isinstance(widget, BlockWidget):
            fixed[f"{each.html_name}-count"] = ["0"]  # an empty StreamField
        elif isinstance(widget, DraftailRichTextArea):
            fixed[each.html_name] = [draftail_state("Texte « riche » 🚀")]
        else:
            fields.append(each)
    return fields, fixed, row_ids


MANAGEMENT_FIXED = {"TOTAL_FORMS": "1", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0"}
PASSWORD = "Un mot de passe très solide, 2025 !"  # noqa: S105 - generated input
ODD_DATETIMES = ["2025-03-01 25:00", "2025-02-30 10:00", "9999-12-31 23:59", "0001-01-01 00:00"]


def plausible_admin_values(field: forms.Field, name: str) -> list:
    """What an editor types in the fields the workspace forms do not have."""
    if isinstance(field, forms.SlugField):
        return ["promotion-2025", "ete-2025"]
    if isinstance(field, forms.DateTimeField):
        # In the future: a page's expiry date must be (its publication date may be).
        soon = timezone.localtime() + datetime.timedelta(days=30)
        return [f"{soon:%Y-%m-%d} 10:00", f"{soon + datetime.timedelta(days=60):%Y-%m-%d} 18:30"]
    if isinstance(field, forms.TimeField):
        return ["10:00", "18:30"]
    if isinstance(field.widget, forms.PasswordInput):
        return [PASSWORD]
    if isinstance(field.widget, BaseChooser):  # a hidden id, set by the chooser's modal
        return valid_values(field) or [""]
    return MANAGEMENT.get(name) or plausible_values(field, valid_values(field))


# Ids no record has: what a stale or tampered chooser posts.
UNKNOWN_IDS = ["0", "-1", "999999"]


def odd_admin_values(field: forms.Field, *, through_view: bool) -> st.SearchStrategy:
    if through_view and isinstance(field.widget, BaseChooser):
        # Wagtail's chooser widgets redisplay an invalid form by loading `pk=value` and
        # answer a 500 to a value that is not a number (wagtail/admin/widgets/chooser.py,
        # BaseChooser.get_instance): Wagtail's code, and only a crafted request sends one.
        # The form itself is fuzzed with any text above.
        return st.lists(st.sampled_from(UNKNOWN_IDS + valid_values(field)), max_size=2)
    if isinstance(field, forms.DateTimeField | forms.TimeField):
        return st.lists(st.one_of(st.sampled_from(ODD_DATETIMES + NASTY_DATES), text()), max_size=2)
    return field_values(field, valid_values(field))


def admin_data(form, *, through_view: bool = False) -> st.SearchStrategy:
    """As tests/test_fuzz_forms.py's `fields_data`: all plausible, one odd, or all odd with
    keys missing; with the admin's field types, and rich text kept in Draftail's shape."""
    fields, fixed, row_ids = admin_fields(form)
    rich_texts = {name for name, values in fixed.items() if values[0].startswith('{"blocks"')}
    good, odd = {}, {}
    for each in fields:
        if each.html_name in row_ids:  # a new row has no id yet
            good[each.html_name] = st.just([""])
        else:
            values = plausible_admin_values(each.field, each.name)
            if isinstance(each.field, forms.MultipleChoiceField):
                # Nothing chosen: a browser sends no value at all.
                good[each.html_name] = st.lists(st.sampled_from(values), max_size=2, unique=True)
                odd[each.html_name] = odd_admin_values(each.field, through_view=through_view)
                continue
            if not each.field.required and "" not in values:
                values = [*values, ""]
            good[each.html_name] = st.sampled_from(values).map(lambda value: [value])
        odd[each.html_name] = odd_admin_values(each.field, through_view=through_view)
    one_odd = st.sampled_from(sorted(good)).flatmap(
        lambda name: st.fixed_dictionaries({**good, name: odd[name]})
    )
    generated = st.one_of(
        st.fixed_dictionaries(good), one_odd, st.fixed_dictionaries({}, optional=odd)
    )
    constant = st.fixed_dictionaries(
        {
            name: st.text(max_size=200).map(lambda text: [draftail_state(text)])
            if name in rich_texts
            else st.just(values)
            for name, values in fixed.items()
        }
    )
    return st.tuples(generated, constant).map(lambda parts: {**parts[1], **parts[0]})


# --- Building each form as its admin view does ----------------------------------------------


def fresh(instance):
    """The record as the database has it: a form changes its instance, even when invalid."""
    return type(instance).objects.get(pk=instance.pk)


def build_form(label, action, w, data=None, files=None):
    model = apps.get_model(label)
    kind = ADMIN_FORMS[label].kind
    instance = fresh(w.instances[label]) if action == "edit" else None
    if kind == "snippet":
        form_class = model.snippet_viewset.get_form_class(for_update=action == "edit")
        return form_class(data, files, instance=instance or model(), for_user=w.superuser)
    if kind == "page":
        form_class = instance.get_edit_handler().get_form_class()
        return form_class(
            data, files, instance=instance, parent_page=instance.get_parent(), for_user=w.superuser
        )
    if kind == "setting":
        form_class = get_setting_edit_handler(model).get_form_class()
        return form_class(data, files, instance=instance, for_user=w.superuser)
    request = RequestFactory().get("/")
    request.user = w.superuser
    form_class = admin.site._registry[model].get_form(request, instance)
    return form_class(data, files, instance=instance)


def save(form, label, w):
    """What the admin view does with a valid form."""
    if ADMIN_FORMS[label].kind == "page":
        page = form.save(commit=False)
        page.save_revision(user=w.superuser)
    else:
        form.save()


def admin_url(label, action, w) -> str:
    model = apps.get_model(label)
    kind = ADMIN_FORMS[label].kind
    instance = w.instances.get(label)
    if kind == "snippet":
        name = model.snippet_viewset.get_url_name(action)
        return reverse(name, args=[instance.pk] if action == "edit" else [])
    if kind == "page":
        return reverse("wagtailadmin_pages:edit", args=[instance.pk])
    if kind == "setting":
        return reverse("wagtailsettings:edit", args=["cms", "siteidentity", w.site.pk])
    opts = model._meta
    if action == "add":
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])


CASES = [(label, action) for label, form in ADMIN_FORMS.items() for action in form.actions]


@pytest.fixture
def admin_world(request, settings):
    """The fuzzed forms' world, with one record of each admin model and a superuser with MFA."""
    w = request.getfixturevalue("world")
    settings.MFA_REQUIRED_FOR_PRIVILEGED = True  # the admins are entered with MFA only
    w.superuser = UserFactory(superuser=True)
    TOTP.activate(w.superuser, generate_totp_secret())
    w.site = Site.objects.get(is_default_site=True)
    document_stop(w.startup, author=w.coach)
    Review.objects.create(startup=w.startup, date=STARTED, decision=ReviewDecision.CONTINUE)
    Sponsorship.objects.create(startup=w.startup, territory=w.territory, amount_cents=10_000)
    TerritoryFactory(name="Département de l’Essonne")  # a sponsor the startup does not have
    PhaseGateCriterion.objects.create(
        program=w.cohort.program, phase="construction", label="Équipe"
    )
    NetworkMembership.objects.create(
        territory=w.territory, yearly_amount_cents=50_000, start_date=STARTED
    )
    w.instances = {
        label: apps.get_model(label).objects.order_by("pk").first()
        for label, form in ADMIN_FORMS.items()
        if form.kind in {"snippet", "django"}
    }
    w.instances["accounts.User"] = w.agent
    w.instances["incubator.Failure"] = Failure.objects.get()
    w.instances["incubator.Lesson"] = Lesson.objects.get()
    w.instances["programs.CallForProjects"] = w.call
    add_missing_pages(w.site.root_page.specific, program=w.cohort.program)
    pages = {page.specific_class._meta.label: page.specific for page in Page.objects.all()}
    w.instances |= {
        label: pages[label] for label, form in ADMIN_FORMS.items() if form.kind == "page"
    }
    w.instances["cms.SiteIdentity"] = apps.get_model("cms.SiteIdentity").for_site(w.site)
    missing = [label for label, action in CASES if action == "edit" and not w.instances[label]]
    assert not missing, f"no record to edit: create one in admin_world for {missing}"
    return w


def add_missing_pages(home, *, program):
    """One page of each type (the site's tree starts with the singletons only)."""
    existing = {page.specific_class for page in Page.objects.all()}
    news_index = NewsIndexPage.objects.first() or home.add_child(
        instance=NewsIndexPage(title="Actualités", slug="actualites", summary="Les nouvelles.")
    )
    for parent, page in (
        (news_index, NewsPage(title="Une nouvelle", slug="une-nouvelle", summary="Résumé.")),
        (home, StandardPage(title="À propos", slug="a-propos", summary="Résumé.")),
        (home, SitemapPage(title="Plan du site", slug="plan-du-site", summary="Résumé.")),
        (home, ProgramPage(title="Le programme", slug="programme", summary=".", program=program)),
    ):
        if type(page) not in existing:
            parent.add_child(instance=page)


# --- Forms ----------------------------------------------------------------------------------


def as_querydict(data: dict) -> MultiValueDict:
    return MultiValueDict({name: list(values) for name, values in data.items()})


@pytest.mark.parametrize(("label", "action"), CASES, ids=[f"{lab}:{act}" for lab, act in CASES])
def test_an_admin_form_gives_french_errors_or_a_valid_record(admin_world, label, action):
    w = admin_world

    @given(generated=admin_data(build_form(label, action, w)))
    @FORM_FUZZ
    def check(generated):
        data, files = split_files(generated)
        with translation.override("fr"), transaction.atomic():
            form = build_form(label, action, w, as_querydict(data), as_querydict(files))
            if form.is_valid():
                save(form, label, w)  # rolled back below
            else:
                assert_french(admin_error_messages(form), data)
            transaction.set_rollback(True)

    check()


def admin_error_messages(form) -> list[str]:
    messages = error_messages(form)
    for formset in getattr(form, "formsets", {}).values():
        messages += error_messages(formset)
    return messages


# --- The admin views, through the test client -----------------------------------------------


def database_state(w, label) -> tuple:
    """Row counts of our apps and Wagtail's pages and revisions, and the edited record."""
    counts = {
        model._meta.label: model.objects.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }
    counts["wagtailcore.Revision"] = Revision.objects.count()
    instance = w.instances.get(label)
    record = (
        type(instance).objects.filter(pk=instance.pk).values().get()
        if instance is not None
        else None
    )
    return counts, record


@pytest.mark.parametrize(("label", "action"), CASES, ids=[f"{lab}:{act}" for lab, act in CASES])
def test_an_admin_view_answers_in_french_and_writes_nothing_it_refuses(admin_world, label, action):
    w = admin_world
    client = Client()
    client.force_login(w.superuser)
    url = admin_url(label, action, w)
    refusals = {reverse("account_login"), reverse("mfa_activate_totp")}

    @given(data=admin_data(build_form(label, action, w), through_view=True))
    @VIEW_FUZZ
    def check(data):
        with transaction.atomic():
            before = database_state(w, label)
            response = client.post(url, data)  # a 500 raises here
            # Accepted, and not sent to log in or set up MFA (which would write nothing).
            if response.status_code == 302:
                assert urlsplit(response["Location"]).path not in refusals
            else:  # not accepted: nothing written
                assert response.status_code == 200, response.status_code
                assert database_state(w, label) == before
                for form in forms_in(response.context):
                    assert_french(error_messages(form), data)
            transaction.set_rollback(True)

    check()
