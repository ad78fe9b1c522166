"""The permission matrix of /espace/: every URL, every role, the expected status.

URLs are enumerated from the URLConf, so a new workspace view cannot escape
this test: it fails until the view's row is added to EXPECTED.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

import pytest

from incubator import services
from incubator.enums import MembershipRole, ReportKind, Visibility
from incubator.models import Experiment, Indicator, Membership, Milestone, Sponsorship
from incubator.services.reports import report_run
from programs import services as program_services
from tests.factories import (
    CallForProjectsFactory,
    CohortFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "agent",
    "other_agent",
    "coach",
    "other_coach",
    "referent",
    "other_referent",
    "staff",
]
LOGIN = 302
# Shorthands for rows: (anonymous, agent, other agent, coach, other coach, référent of a
# sponsor, référent of a non-sponsor, staff). A private startup is a 404 for outsiders.
READ_STARTUP = (LOGIN, 200, 404, 200, 404, 200, 404, 200)
EDIT_STARTUP = (LOGIN, 200, 404, 200, 404, 403, 404, 200)
DECIDE = (LOGIN, 403, 404, 200, 404, 403, 404, 200)
COACHES_ONLY = (LOGIN, 403, 403, 200, 200, 403, 403, 200)
REFERENTS_ONLY = (LOGIN, 403, 403, 403, 403, 200, 200, 200)
EVERYONE_LOGGED_IN = (LOGIN, 200, 200, 200, 200, 200, 200, 200)
REDIRECTS = (LOGIN, 302, 302, 302, 302, 302, 302, 302)
# Reports: the startup's team and coaches; the cohort's and incubator's coaches; the
# territory's référents and the coaches of what it sponsors. POST-only actions are a 405
# on GET (their permissions are tested with the reports).
STARTUP_REPORTS = (LOGIN, 200, 404, 200, 404, 404, 404, 200)
COACH_REPORTS = (LOGIN, 404, 404, 200, 404, 404, 404, 200)
TERRITORY_REPORTS = (LOGIN, 404, 404, 200, 404, 200, 404, 200)
POST_ONLY = (LOGIN, 405, 405, 405, 405, 405, 405, 405)
# Calls for projects: the agent applied; the coach coaches the call's programme.
APPLICANT_ONLY = (LOGIN, 200, 404, 404, 404, 404, 404, 404)
APPLICANT_AND_REVIEWERS = (LOGIN, 200, 404, 200, 404, 404, 404, 200)
REVIEWERS = (LOGIN, 404, 404, 200, 404, 404, 404, 200)

EXPECTED = {
    "home": REDIRECTS,
    "startup_list": EVERYONE_LOGGED_IN,
    "startup_detail": READ_STARTUP,
    "startup_timeline": READ_STARTUP,
    "territory": REFERENTS_ONLY,
    "board": COACHES_ONLY,
    "board_csv": COACHES_ONLY,
    "review_create": DECIDE,
    "gate_checklist": EDIT_STARTUP,
    "milestone_create": EDIT_STARTUP,
    "milestone_update": EDIT_STARTUP,
    "experiment_create": EDIT_STARTUP,
    "experiment_close": EDIT_STARTUP,
    "indicator_create": EDIT_STARTUP,
    "measurement_create": EDIT_STARTUP,
    "failure_create": EDIT_STARTUP,
    "startup_profile_update": EDIT_STARTUP,
    "reports": EVERYONE_LOGGED_IN,
    "reports_startup": STARTUP_REPORTS,
    "reports_cohort": COACH_REPORTS,
    "reports_territory": TERRITORY_REPORTS,
    "reports_incubator": COACH_REPORTS,
    "report_detail": STARTUP_REPORTS,
    "report_pdf": STARTUP_REPORTS,
    "report_retry": POST_ONLY,
    "report_publish": POST_ONLY,
    "report_unpublish": POST_ONLY,
    "calls": EVERYONE_LOGGED_IN,
    "application_create": EVERYONE_LOGGED_IN,
    "application_edit": APPLICANT_ONLY,
    "application_submit": POST_ONLY,
    "application_document_add": POST_ONLY,
    "application_document_remove": POST_ONLY,
    "application_document_download": APPLICANT_AND_REVIEWERS,
    "selection": COACHES_ONLY,
    "selection_detail": REVIEWERS,
    "selection_score": POST_ONLY,
    "selection_comment": POST_ONLY,
    "selection_shortlist": POST_ONLY,
    "selection_accept": POST_ONLY,
    "selection_reject": POST_ONLY,
    "cohort_calendar": COACH_REPORTS,
    "cohort_calendar_token_rotate": POST_ONLY,
    "contributions": REFERENTS_ONLY,
    # The team, its coaches, the sponsor's référents, staff; a 404 for anyone else.
    "commitment_document": (LOGIN, 200, 404, 200, 404, 200, 404, 200),
}


def workspace_url_names():
    resolver = get_resolver()
    (workspace,) = [
        p
        for p in resolver.url_patterns
        if isinstance(p, URLResolver) and p.namespace == "workspace"
    ]

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern

    return {pattern.name: pattern for pattern in walk(workspace.url_patterns)}


@pytest.fixture
def world(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA is tested on its own
    users = {
        "agent": UserFactory(),
        "other_agent": UserFactory(),
        "coach": UserFactory(coach=True),
        "other_coach": UserFactory(coach=True),
        "referent": UserFactory(territory=True),
        "other_referent": UserFactory(territory=True),
        "staff": UserFactory(staff=True),
    }
    cohort = CohortFactory()
    startup = StartupFactory(
        name="Privée",
        visibility=Visibility.PRIVATE,
        incubator=cohort.program.incubator,
        cohort=cohort,
    )
    elsewhere = StartupFactory(name="Ailleurs")
    startup.incubator.coaches.add(users["coach"])
    elsewhere.incubator.coaches.add(users["other_coach"])
    Membership.objects.create(startup=startup, user=users["agent"], role=MembershipRole.AGENT)
    Membership.objects.create(
        startup=elsewhere, user=users["other_agent"], role=MembershipRole.AGENT
    )
    sponsor, other_territory = TerritoryFactory(), TerritoryFactory()
    sponsor.referents.add(users["referent"])
    other_territory.referents.add(users["other_referent"])
    sponsorship = Sponsorship.objects.create(
        startup=startup,
        territory=sponsor,
        commitment_signed_on=datetime.date(2025, 1, 1),
        commitment_document=SimpleUploadedFile("engagement.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    Sponsorship.objects.create(startup=elsewhere, territory=other_territory)
    objects = workspace_objects(
        startup=startup,
        cohort=cohort,
        sponsor=sponsor,
        sponsorship=sponsorship,
        agent=users["agent"],
    )
    return users, objects


def workspace_objects(*, startup, cohort, sponsor, sponsorship, agent) -> dict:
    """The records `url_for` names, around `startup` (tests/test_url_permissions.py uses it too)."""
    objects = {
        "slug": startup.slug,
        "sponsorship": sponsorship,
        "milestone": Milestone.objects.create(
            startup=startup, title="Jalon", due_date=datetime.date(2025, 1, 1)
        ),
        "experiment": Experiment.objects.create(
            startup=startup,
            hypothesis="H",
            success_criterion="C",
            start_date=datetime.date(2025, 1, 1),
        ),
        "indicator": Indicator.objects.create(startup=startup, name="Usagers"),
        # Report pages name their subject by its own slug.
        "slugs": {
            "reports_cohort": cohort.slug,
            "reports_territory": sponsor.slug,
            "reports_incubator": startup.incubator.slug,
        },
        "report": services.report_request(
            kind=ReportKind.STARTUP,
            subject=startup,
            start=datetime.date(2025, 1, 1),
            end=datetime.date(2025, 12, 31),
            public=False,
            user=agent,
        ),
    }
    report_run(objects["report"].pk)
    objects["call"], objects["application"], objects["document"] = submitted_application(
        cohort.program, applicant=agent, sponsor=sponsor
    )
    objects["slugs"]["application_create"] = objects["call"].slug
    return objects


def submitted_application(program, *, applicant, sponsor):
    """An open call of the programme, and the agent's application to it, with a document."""
    now = timezone.now()
    call = CallForProjectsFactory(
        program=program,
        opens_on=now.date() - datetime.timedelta(days=10),
        closes_at=now + datetime.timedelta(days=30),
    )
    application = program_services.application_save_draft(
        call=call,
        applicant=applicant,
        title="Guichet sans attente",
        problem_statement="Deux heures d’attente à l’état civil.",
        sponsor_territory=sponsor,
        sponsor_contact_name="Dominique",
        sponsor_contact_email="dominique@exemple.fr",
    )
    document = program_services.application_add_document(
        application,
        uploaded_file=SimpleUploadedFile("dossier.pdf", b"%PDF-1.4\n%%EOF\n"),
        user=applicant,
    )
    program_services.application_submit(application, user=applicant)
    return call, application, document


def url_for(name, pattern, objects):
    kwargs = {}
    for key in pattern.pattern.converters:
        if key == "slug" and name.startswith("cohort_calendar"):
            kwargs[key] = objects["slugs"]["reports_cohort"]
        elif key == "slug":
            kwargs[key] = objects["slugs"].get(name, objects["slug"])
        elif name.startswith("report_"):
            kwargs[key] = objects["report"].pk
        elif name == "commitment_document":
            kwargs[key] = objects["sponsorship"].pk
        elif key == "doc_pk":
            kwargs[key] = objects["document"].pk
        elif name.startswith(("application_", "selection_")):
            kwargs[key] = objects["application"].pk
        else:  # e.g. milestone_pk, or pk of the object the view is named after
            owner = next(
                o for o in ("milestone", "experiment", "indicator") if o in name or o in key
            )
            kwargs[key] = objects[owner].pk
    return reverse(f"workspace:{name}", kwargs=kwargs)


def test_every_workspace_url_is_in_the_matrix():
    assert set(workspace_url_names()) == set(EXPECTED), "add the new view's row to EXPECTED"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_permission_matrix(client, world, name):
    users, objects = world
    pattern = workspace_url_names()[name]
    url = url_for(name, pattern, objects)
    got = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        response = client.get(url)
        if response.streaming:  # read downloads through, which closes their file
            b"".join(response.streaming_content)
        got.append(response.status_code)
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, EXPECTED[name], strict=True)), url
