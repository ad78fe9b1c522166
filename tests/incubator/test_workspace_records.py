"""The team's forms under /espace/: what they write, their French refusals, who may use them."""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

import pytest

from incubator import services
from incubator.enums import (
    ExperimentOutcome,
    FailureReason,
    FailureScope,
    IndicatorDirection,
    MembershipRole,
    MilestoneStatus,
    Visibility,
)
from incubator.exceptions import IncubatorError
from incubator.models import (
    Experiment,
    Failure,
    Lesson,
    Measurement,
    Membership,
    Milestone,
    Sponsorship,
    Startup,
    Theme,
)
from tests.factories import IndicatorFactory, StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = timezone.localdate()
TOMORROW = TODAY + datetime.timedelta(days=1)
LONG_AGO = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def agent():
    return UserFactory()


@pytest.fixture
def startup(agent):
    """A private startup whose team has one agent; its last update is long ago."""
    startup = StartupFactory(name="Dites-le-nous", visibility=Visibility.PRIVATE)
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    Startup.objects.filter(pk=startup.pk).update(last_activity_at=LONG_AGO)
    return startup


@pytest.fixture
def member(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def experiment(startup):
    return Experiment.objects.create(
        startup=startup,
        hypothesis="Les usagers préfèrent un SMS de rappel.",
        success_criterion="20 % de rendez-vous manqués en moins",
        start_date=D(2025, 1, 6),
    )


@pytest.fixture
def milestone(startup):
    return Milestone.objects.create(startup=startup, title="Premier usager", due_date=D(2025, 3, 1))


def url(name, startup, *args):
    return reverse(f"workspace:{name}", args=[startup.slug, *args])


def cockpit(startup):
    return reverse("workspace:startup_detail", args=[startup.slug])


def page(response) -> str:
    return response.content.decode()


def assert_touched(startup):
    startup.refresh_from_db()
    assert startup.last_activity_at > LONG_AGO


def assert_not_touched(startup):
    startup.refresh_from_db()
    assert startup.last_activity_at == LONG_AGO


def assert_success(member, response, startup, message):
    assert response.status_code == 302 and response["Location"] == cockpit(startup)
    assert message in page(member.get(response["Location"]))


# --- Milestones -------------------------------------------------------------------

MILESTONE = {
    "title": "Mise en service à Saint-Exemple",
    "description": "Ouverture aux agents d’accueil.",
    "status": MilestoneStatus.PLANNED,
    "due_date": "2026-09-01",
    "achieved_on": "",
    "evidence_url": "",
}


def test_the_form_pages_render_for_a_member(member, startup, milestone, experiment):
    indicator = IndicatorFactory(startup=startup)
    for name, args in [
        ("milestone_create", ()),
        ("milestone_update", (milestone.pk,)),
        ("experiment_create", ()),
        ("experiment_close", (experiment.pk,)),
        ("indicator_create", ()),
        ("measurement_create", (indicator.pk,)),
        ("failure_create", ()),
        ("startup_profile_update", ()),
    ]:
        response = member.get(url(name, startup, *args))
        assert response.status_code == 200, name
        assert 'class="fr-btn"' in page(response) and cockpit(startup) in page(response)


def test_an_agent_logs_a_milestone(member, agent, startup):
    response = member.post(url("milestone_create", startup), MILESTONE)
    assert_success(
        member, response, startup, "Jalon « Mise en service à Saint-Exemple » enregistré."
    )
    (milestone,) = startup.milestones.all()
    assert (milestone.title, milestone.status, milestone.due_date, milestone.author) == (
        "Mise en service à Saint-Exemple",
        MilestoneStatus.PLANNED,
        D(2026, 9, 1),
        agent,
    )
    assert_touched(startup)


def test_an_agent_marks_a_planned_milestone_achieved_with_its_evidence(member, startup, milestone):
    form = member.get(url("milestone_update", startup, milestone.pk))
    assert 'value="Premier usager"' in page(form) and 'value="2025-03-01"' in page(form)
    response = member.post(
        url("milestone_update", startup, milestone.pk),
        {
            **MILESTONE,
            "title": "Premier usager",
            "status": MilestoneStatus.ACHIEVED,
            "due_date": "2025-03-01",
            "achieved_on": "2025-02-20",
            "evidence_url": "https://exemple.fr/compte-rendu",
        },
    )
    assert_success(member, response, startup, "Jalon « Premier usager » mis à jour.")
    milestone.refresh_from_db()
    assert (milestone.status, milestone.achieved_on, milestone.evidence_url) == (
        MilestoneStatus.ACHIEVED,
        D(2025, 2, 20),
        "https://exemple.fr/compte-rendu",
    )
    assert_touched(startup)


MILESTONE_ERRORS = [
    ({"title": ""}, "Champ requis."),
    ({"status": MilestoneStatus.ACHIEVED}, "Un jalon atteint a besoin de sa date d’atteinte."),
    (
        {"status": MilestoneStatus.ACHIEVED, "achieved_on": TOMORROW.isoformat()},
        "La date d’atteinte ne peut pas être dans le futur.",
    ),
    (
        {"status": MilestoneStatus.MISSED, "achieved_on": "2025-01-01"},
        "Seul un jalon atteint a une date d’atteinte",
    ),
    ({"evidence_url": "pas une adresse"}, "Saisissez une URL valide."),
    (
        {"evidence_url": "ftp://exemple.fr/preuve.pdf"},
        "Saisissez une adresse web valide, commençant par http:// ou https://.",
    ),
]


@pytest.mark.parametrize(("changes", "message"), MILESTONE_ERRORS)
def test_a_bad_milestone_is_refused_in_french_and_nothing_is_written(
    member, startup, changes, message
):
    response = member.post(url("milestone_create", startup), {**MILESTONE, **changes})
    assert response.status_code == 200
    assert message in page(response)
    assert "fr-input-group--error" in page(response) or "fr-select-group--error" in page(response)
    assert not startup.milestones.exists()
    assert_not_touched(startup)


@pytest.mark.parametrize(("changes", "message"), MILESTONE_ERRORS)
def test_a_bad_milestone_update_changes_nothing(member, startup, milestone, changes, message):
    response = member.post(url("milestone_update", startup, milestone.pk), {**MILESTONE, **changes})
    assert response.status_code == 200 and message in page(response)
    milestone.refresh_from_db()
    assert (milestone.title, milestone.status) == ("Premier usager", MilestoneStatus.PLANNED)
    assert_not_touched(startup)


# --- Experiments ------------------------------------------------------------------


@pytest.fixture
def territory():
    return TerritoryFactory(name="Commune de Saint-Exemple")


def experiment_data(place, **changes):
    return {
        "hypothesis": "Un rappel par SMS réduit les rendez-vous manqués.",
        "territory": place.pk,
        "protocol": "Trois mois sur deux guichets, comparés à deux autres.",
        "success_criterion": "20 % de rendez-vous manqués en moins",
        "start_date": "2025-04-01",
        "end_date": "",
        **changes,
    }


def test_an_agent_records_an_experiment(member, startup, territory):
    response = member.post(url("experiment_create", startup), experiment_data(territory))
    assert_success(member, response, startup, "Expérimentation enregistrée.")
    (experiment,) = startup.experiments.all()
    assert (experiment.territory, experiment.start_date, experiment.outcome) == (
        territory,
        D(2025, 4, 1),
        ExperimentOutcome.RUNNING,
    )
    assert experiment.protocol.startswith("Trois mois")
    assert_touched(startup)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_date": "2025-03-01"}, "La fin ne peut pas précéder le début de l’expérimentation"),
        ({"hypothesis": "  "}, "Champ requis."),
        ({"territory": ""}, "Champ requis."),
        ({"start_date": "31/02/2025"}, "Saisissez une date valide."),
    ],
)
def test_a_bad_experiment_is_refused(member, startup, territory, changes, message):
    response = member.post(url("experiment_create", startup), experiment_data(territory, **changes))
    assert response.status_code == 200 and message in page(response)
    assert not startup.experiments.exists()
    assert_not_touched(startup)


def test_an_agent_closes_an_experiment_with_its_learnings(member, startup, experiment):
    response = member.post(
        url("experiment_close", startup, experiment.pk),
        {
            "outcome": ExperimentOutcome.VALIDATED,
            "learnings": "Le SMS la veille suffit ; le rappel à J-7 est inutile.",
            "end_date": "2025-04-30",
        },
    )
    assert_success(member, response, startup, "Expérimentation close")
    experiment.refresh_from_db()
    assert (experiment.outcome, experiment.end_date) == (
        ExperimentOutcome.VALIDATED,
        D(2025, 4, 30),
    )
    assert experiment.learnings.startswith("Le SMS la veille")
    assert_touched(startup)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"learnings": ""}, "Notez ce que l’expérimentation vous a appris"),
        ({"end_date": "2025-01-01"}, "La fin ne peut pas précéder le début"),
        ({"end_date": TOMORROW.isoformat()}, "la fin ne peut pas être future"),
        ({"outcome": ExperimentOutcome.RUNNING}, "Sélectionnez un choix valide."),
    ],
)
def test_a_bad_closing_is_refused_and_the_experiment_keeps_running(
    member, startup, experiment, changes, message
):
    data = {"outcome": ExperimentOutcome.INCONCLUSIVE, "learnings": "Trop peu de données."}
    response = member.post(
        url("experiment_close", startup, experiment.pk),
        {**data, "end_date": "2025-04-30", **changes},
    )
    assert response.status_code == 200 and message in page(response)
    experiment.refresh_from_db()
    assert (experiment.outcome, experiment.learnings) == (ExperimentOutcome.RUNNING, "")
    assert_not_touched(startup)


def test_a_closed_experiment_cannot_be_closed_again(member, startup, experiment):
    services.experiment_close(
        experiment=experiment,
        outcome=ExperimentOutcome.INVALIDATED,
        learnings="Les usagers ignorent les SMS.",
        end_date=D(2025, 2, 1),
    )
    response = member.post(
        url("experiment_close", startup, experiment.pk),
        {"outcome": ExperimentOutcome.VALIDATED, "learnings": "Réécrit", "end_date": "2025-03-01"},
    )
    assert response.status_code == 200
    assert "Cette expérimentation est déjà close (invalidée)." in page(response)
    experiment.refresh_from_db()
    assert experiment.outcome == ExperimentOutcome.INVALIDATED


# --- Indicators -------------------------------------------------------------------

INDICATOR = {
    "name": "Délai de traitement",
    "unit": "jours",
    "description": "Médiane entre dépôt et décision, chaque mois.",
    "target": "12,5",
    "direction": IndicatorDirection.DOWN,
    # is_public left unchecked: a browser then sends nothing
}


def test_an_agent_defines_an_indicator(member, startup):
    response = member.post(url("indicator_create", startup), INDICATOR)
    assert_success(member, response, startup, "Indicateur « Délai de traitement » créé.")
    (indicator,) = startup.indicators.all()
    assert (indicator.unit, indicator.target, indicator.direction, indicator.is_public) == (
        "jours",
        Decimal("12.5"),
        IndicatorDirection.DOWN,
        False,
    )
    assert indicator.description.startswith("Médiane")
    assert_touched(startup)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Champ requis."),
        ({"target": "beaucoup"}, "Saisissez un nombre."),
        (
            {"name": "délai de traitement"},
            "La startup a déjà un indicateur « délai de traitement ».",
        ),
    ],
)
def test_a_bad_indicator_is_refused(member, startup, changes, message):
    IndicatorFactory(startup=startup, name="Délai de traitement")
    response = member.post(url("indicator_create", startup), {**INDICATOR, **changes})
    assert response.status_code == 200 and message in page(response)
    assert startup.indicators.count() == 1
    assert_not_touched(startup)


def test_an_agent_adds_a_measurement(member, startup):
    indicator = IndicatorFactory(startup=startup)
    response = member.post(
        url("measurement_create", startup, indicator.pk),
        {"date": "2025-05-31", "value": "1 234,5", "note": "Après l’ouverture du 2e guichet"},
    )
    assert_success(member, response, startup, "Mesure de « Usagers actifs par mois » enregistrée.")
    (measurement,) = indicator.measurements.all()
    assert (measurement.date, measurement.value) == (D(2025, 5, 31), Decimal("1234.5"))
    assert_touched(startup)


def test_a_second_value_for_the_same_date_is_refused_and_nothing_is_written(member, startup):
    indicator = IndicatorFactory(startup=startup)
    Measurement.objects.create(indicator=indicator, date=D(2025, 5, 31), value=100)
    response = member.post(
        url("measurement_create", startup, indicator.pk), {"date": "2025-05-31", "value": "120"}
    )
    assert response.status_code == 200
    assert (
        "« Usagers actifs par mois » a déjà une valeur au 31/05/2025 : une seule mesure par date."
        in page(response)
    )
    assert list(indicator.measurements.values_list("value", flat=True)) == [Decimal("100")]
    assert_not_touched(startup)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": TOMORROW.isoformat(), "value": "3"}, "ne peut pas être datée dans le futur"),
        ({"date": "2025-05-31", "value": ""}, "Champ requis."),
    ],
)
def test_a_bad_measurement_is_refused(member, startup, data, message):
    indicator = IndicatorFactory(startup=startup)
    response = member.post(url("measurement_create", startup, indicator.pk), data)
    assert response.status_code == 200 and message in page(response)
    assert not Measurement.objects.exists()


# --- Failures and lessons ---------------------------------------------------------


def failure_data(lessons=(), **changes):
    data = {
        "scope": FailureScope.STARTUP,
        "experiment": "",
        "milestone": "",
        "occurred_on": "2025-06-01",
        "reason": FailureReason.NO_USER_NEED,
        "what_we_learned": "Les agents d’accueil avaient déjà un outil.",
        "why_we_stop": "Le besoin n’a pas été confirmé sur le terrain.",
        "advice_for_relaunch": "Commencer par observer les guichets.",
        "publication_consent": "on",
        "lecons-TOTAL_FORMS": "3",
        "lecons-INITIAL_FORMS": "0",
        "lecons-MIN_NUM_FORMS": "1",
        "lecons-MAX_NUM_FORMS": "3",
        **changes,
    }
    for index in range(3):
        # A browser always sends the checked radio, even for a blank lesson.
        data[f"lecons-{index}-visibility"] = Visibility.PRIVATE
    for index, lesson in enumerate(lessons):
        data.update({f"lecons-{index}-{key}": value for key, value in lesson.items()})
    return data


LESSON = {"title": "Observer avant de construire", "body": "Deux semaines au guichet."}


def test_an_agent_documents_a_failed_experiment_with_two_lessons(
    member, agent, startup, experiment
):
    theme = Theme.objects.create(name="Mobilité", slug="mobilite")
    data = failure_data(
        lessons=[
            LESSON,
            {
                "title": "Tester le SMS sur un seul guichet",
                "body": "Moins cher, aussi probant.",
                "visibility": Visibility.PUBLIC,
                "themes": [theme.pk],
            },
        ],
        scope=FailureScope.EXPERIMENT,
        experiment=experiment.pk,
        reason=FailureReason.LOW_IMPACT,
        why_we_stop="",
        advice_for_relaunch="",
    )
    response = member.post(url("failure_create", startup), data)
    assert_success(member, response, startup, "Échec et leçons enregistrés.")
    (failure,) = startup.failures.all()
    assert (failure.scope, failure.experiment, failure.reason, failure.author) == (
        FailureScope.EXPERIMENT,
        experiment,
        FailureReason.LOW_IMPACT,
        agent,
    )
    assert failure.publication_consent and failure.occurred_on == D(2025, 6, 1)
    lessons = {lesson.title: lesson for lesson in failure.lessons.all()}
    assert set(lessons) == {"Observer avant de construire", "Tester le SMS sur un seul guichet"}
    public = lessons["Tester le SMS sur un seul guichet"]
    assert public.visibility == Visibility.PUBLIC and list(public.themes.all()) == [theme]
    assert lessons["Observer avant de construire"].visibility == Visibility.PRIVATE
    assert all(lesson.author == agent for lesson in lessons.values())
    assert_touched(startup)


def test_a_whole_startup_post_mortem_is_enough_to_abandon(member, startup):
    response = member.post(url("failure_create", startup), failure_data(lessons=[LESSON]))
    assert response.status_code == 302
    assert services.has_documented_stop(startup)


def test_the_failure_form_offers_only_this_startups_records_and_no_to_document_reason(
    member, startup, experiment
):
    foreign = Experiment.objects.create(
        startup=StartupFactory(),
        hypothesis="Hypothèse d’ailleurs",
        success_criterion="C",
        start_date=D(2025, 1, 1),
    )
    content = page(member.get(url("failure_create", startup)))
    assert "Les usagers préfèrent un SMS de rappel." in content
    assert "Hypothèse d’ailleurs" not in content
    assert FailureReason.TO_DOCUMENT.value not in content
    response = member.post(
        url("failure_create", startup),
        failure_data(lessons=[LESSON], scope=FailureScope.EXPERIMENT, experiment=foreign.pk),
    )
    assert response.status_code == 200 and "Sélectionnez un choix valide." in page(response)
    assert not Failure.objects.exists()


@pytest.mark.parametrize(
    ("lessons", "changes", "message"),
    [
        # A lesson without its text: the failure is not written either.
        ([LESSON, {"title": "Sans texte"}], {}, "Champ requis."),
        ([], {}, "Écrivez au moins une leçon apprise."),
        ([LESSON], {"reason": FailureReason.TO_DOCUMENT}, "Sélectionnez un choix valide."),
        ([LESSON], {"occurred_on": TOMORROW.isoformat()}, "ne peut pas être daté dans le futur"),
        ([LESSON], {"scope": FailureScope.EXPERIMENT}, "Indiquez l’expérimentation de cette"),
        ([LESSON], {"why_we_stop": ""}, "comprend trois textes"),
        (
            [LESSON],
            {"scope": FailureScope.DEPLOYMENT, "milestone": "MILESTONE"},
            "Ne choisissez un jalon que si c’est lui qui a échoué.",
        ),
    ],
)
def test_a_bad_failure_or_lesson_writes_nothing(
    member, startup, milestone, lessons, changes, message
):
    if changes.get("milestone") == "MILESTONE":
        changes = {**changes, "milestone": milestone.pk}
    response = member.post(url("failure_create", startup), failure_data(lessons, **changes))
    assert response.status_code == 200
    assert message in page(response)
    assert "rien n’a été enregistré" in page(response)
    assert not Failure.objects.exists() and not Lesson.objects.exists()
    assert_not_touched(startup)


def test_a_lesson_refused_by_the_service_rolls_the_failure_back(member, startup, monkeypatch):
    # Past form validation, the service refuses the second lesson after writing the failure.
    real_lesson_create = services.lesson_create
    calls = []

    def second_lesson_fails(**kwargs):
        calls.append(kwargs["title"])
        if len(calls) == 2:
            raise IncubatorError("Leçon refusée par le service.")
        return real_lesson_create(**kwargs)

    monkeypatch.setattr("incubator.services.lifecycle.lesson_create", second_lesson_fails)
    response = member.post(
        url("failure_create", startup),
        failure_data(lessons=[LESSON, {"title": "Deuxième", "body": "Texte"}]),
    )
    assert response.status_code == 200 and "Leçon refusée par le service." in page(response)
    assert calls == ["Observer avant de construire", "Deuxième"]
    assert not Failure.objects.exists() and not Lesson.objects.exists()
    assert_not_touched(startup)


# --- Startup profile --------------------------------------------------------------

PROFILE = {
    "pitch": "Prendre rendez-vous en mairie sans attendre.",
    "problem": "Des heures d’attente au guichet.",
    "target_users": "Habitants, agents d’accueil",
    "solution_hypothesis": "Un agenda en ligne partagé.",
    "description": "",
    "website": "https://rdv.exemple.fr",
    "repository": "",
    "stats_url": "",
    "impact_url": "",
    "budget_url": "",
    "visibility": Visibility.PUBLIC,
}


def test_an_agent_edits_the_profile_and_the_history_names_them(member, agent, startup):
    response = member.post(url("startup_profile_update", startup), PROFILE)
    assert_success(member, response, startup, "Présentation de la startup mise à jour.")
    startup.refresh_from_db()
    assert (startup.pitch, startup.website, startup.visibility) == (
        "Prendre rendez-vous en mairie sans attendre.",
        "https://rdv.exemple.fr",
        Visibility.PUBLIC,
    )
    latest = startup.history.order_by("-history_date").first()
    assert latest.history_user == agent and latest.pitch == startup.pitch
    assert_touched(startup)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"website": "pas une adresse"}, "Saisissez une URL valide."),
        ({"repository": "ftp://code.exemple.fr"}, "commençant par http:// ou https://"),
        ({"visibility": "secret"}, "Sélectionnez un choix valide."),
        ({"pitch": "x" * 301}, "au plus 300 caractères"),
    ],
)
def test_a_bad_profile_changes_nothing(member, startup, changes, message):
    before = startup.history.count()
    response = member.post(url("startup_profile_update", startup), {**PROFILE, **changes})
    assert response.status_code == 200 and message in page(response)
    startup.refresh_from_db()
    assert startup.pitch == "Simplifier une démarche du quotidien."
    assert startup.visibility == Visibility.PRIVATE
    assert startup.history.count() == before
    assert_not_touched(startup)


def test_an_unchanged_profile_writes_no_history(member, startup):
    before = startup.history.count()
    form = member.get(url("startup_profile_update", startup)).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    response = member.post(url("startup_profile_update", startup), data)
    assert response.status_code == 302
    assert "Aucune modification à enregistrer." in page(member.get(response["Location"]))
    assert startup.history.count() == before


# --- Who may use the forms --------------------------------------------------------


def all_form_urls(startup):
    milestone = Milestone.objects.create(startup=startup, title="Jalon")
    experiment = Experiment.objects.create(
        startup=startup, hypothesis="H", success_criterion="C", start_date=D(2025, 1, 1)
    )
    indicator = IndicatorFactory(startup=startup)
    return [
        url("milestone_create", startup),
        url("milestone_update", startup, milestone.pk),
        url("experiment_create", startup),
        url("experiment_close", startup, experiment.pk),
        url("indicator_create", startup),
        url("measurement_create", startup, indicator.pk),
        url("failure_create", startup),
        url("startup_profile_update", startup),
    ]


def test_a_coach_of_the_incubator_can_use_the_forms(client, settings, startup, territory):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    coach = UserFactory(coach=True)
    startup.incubator.coaches.add(coach)
    client.force_login(coach)
    for form_url in all_form_urls(startup):
        assert client.get(form_url).status_code == 200, form_url
    response = client.post(url("milestone_create", startup), MILESTONE)
    assert response.status_code == 302
    assert startup.milestones.get(title=MILESTONE["title"]).author == coach
    response = client.post(url("experiment_create", startup), experiment_data(territory))
    assert response.status_code == 302
    response = client.post(url("failure_create", startup), failure_data(lessons=[LESSON]))
    assert response.status_code == 302 and startup.failures.get().author == coach


def test_an_outsider_gets_404_on_a_private_startup_and_403_on_a_public_one(client, startup):
    public = StartupFactory(visibility=Visibility.PUBLIC)
    client.force_login(UserFactory())
    for target, status in [(startup, 404), (public, 403)]:
        for form_url in all_form_urls(target):
            assert client.get(form_url).status_code == status, form_url
            assert client.post(form_url, MILESTONE).status_code == status, form_url
    client.post(url("milestone_create", public), MILESTONE)
    assert not Milestone.objects.filter(title=MILESTONE["title"]).exists()


def test_a_referent_of_a_sponsor_reads_the_startup_but_cannot_edit_it(client, startup):
    referent = UserFactory(territory=True)
    sponsor = TerritoryFactory()
    sponsor.referents.add(referent)
    Sponsorship.objects.create(startup=startup, territory=sponsor)
    client.force_login(referent)
    assert client.get(cockpit(startup)).status_code == 200
    assert client.get(url("milestone_create", startup)).status_code == 403
    assert client.post(url("milestone_create", startup), MILESTONE).status_code == 403
    assert not startup.milestones.exists()


def test_a_former_member_is_an_outsider(client, agent, startup):
    Membership.objects.filter(user=agent).update(start_date=D(2024, 1, 1), end_date=D(2025, 1, 31))
    client.force_login(agent)
    assert client.get(url("milestone_create", startup)).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, startup):
    response = client.get(url("milestone_create", startup))
    assert response.status_code == 302 and "/comptes/" in response["Location"]


def test_records_of_another_startup_are_404(member, startup):
    other = StartupFactory()
    milestone = Milestone.objects.create(startup=other, title="Ailleurs")
    experiment = Experiment.objects.create(
        startup=other, hypothesis="H", success_criterion="C", start_date=D(2025, 1, 1)
    )
    indicator = IndicatorFactory(startup=other)
    for form_url in [
        url("milestone_update", startup, milestone.pk),
        url("experiment_close", startup, experiment.pk),
        url("measurement_create", startup, indicator.pk),
    ]:
        assert member.get(form_url).status_code == 404, form_url
        assert member.post(form_url, {"date": "2025-01-01", "value": "1"}).status_code == 404
    assert not Measurement.objects.exists()


def test_the_cockpit_links_to_the_forms_only_for_those_who_may_edit(
    client, member, startup, milestone, experiment
):
    indicator = IndicatorFactory(startup=startup)
    links = [
        url("milestone_create", startup),
        url("experiment_create", startup),
        url("indicator_create", startup),
        url("failure_create", startup),
        url("startup_profile_update", startup),
        url("milestone_update", startup, milestone.pk),
        url("experiment_close", startup, experiment.pk),
        url("measurement_create", startup, indicator.pk),
    ]
    content = page(member.get(cockpit(startup)))
    assert all(link in content for link in links)

    Startup.objects.filter(pk=startup.pk).update(visibility=Visibility.PUBLIC)
    client.force_login(UserFactory())
    content = page(client.get(cockpit(startup)))
    assert not any(link in content for link in links)


# --- Services called directly (importers, admin, commands) ------------------------


def test_services_refuse_bad_input_with_french_messages(startup, experiment):
    with pytest.raises(IncubatorError, match="Un jalon atteint a besoin"):
        services.milestone_log(
            startup=startup, author=None, title="T", status=MilestoneStatus.ACHIEVED
        )
    with pytest.raises(IncubatorError, match="http:// ou https://"):
        services.milestone_log(startup=startup, author=None, title="T", evidence_url="javascript:x")
    with pytest.raises(IncubatorError, match="Choisissez le résultat"):
        services.experiment_close(
            experiment=experiment,
            outcome=ExperimentOutcome.RUNNING,
            learnings="L",
            end_date=D(2025, 2, 1),
        )
    with pytest.raises(IncubatorError, match="Choisissez la visibilité"):
        services.startup_update_profile(startup=startup, actor=None, visibility="secret")
    assert not startup.milestones.exists()
    assert_not_touched(startup)


def test_profile_service_leaves_unnamed_fields_alone(startup):
    services.startup_update_profile(startup=startup, actor=None, website=" https://a.fr ")
    startup.refresh_from_db()
    assert startup.website == "https://a.fr"
    assert startup.pitch == "Simplifier une démarche du quotidien."
