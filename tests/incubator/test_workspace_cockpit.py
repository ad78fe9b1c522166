"""The startup cockpit and its timeline."""

import datetime

from django.urls import reverse
from django.utils import timezone

import pytest

from incubator import public_cache, services
from incubator.enums import MembershipRole, Phase, ReviewDecision, Visibility
from incubator.models import Experiment, Indicator, Measurement, Membership, Milestone
from incubator.views.cockpit import phase_progress
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def agent_and_startup():
    agent = UserFactory(display_name="Inès Agent")
    startup = StartupFactory(
        name="Cantine Locale", started_on=D(2025, 1, 6), visibility=Visibility.PRIVATE
    )
    Membership.objects.create(
        startup=startup, user=agent, role=MembershipRole.AGENT, start_date=D(2025, 1, 6)
    )
    return agent, startup


def add_indicator(startup, name, values):
    indicator = Indicator.objects.create(startup=startup, name=name, unit="usagers", target=100)
    for month, value in enumerate(values, start=1):
        Measurement.objects.create(indicator=indicator, date=D(2025, month, 1), value=value)
    return indicator


def test_my_startups_lists_the_agents_startups_only(client, agent_and_startup):
    agent, startup = agent_and_startup
    StartupFactory(name="Pas la mienne")
    client.force_login(agent)
    html = client.get(reverse("workspace:startup_list")).text
    assert "Cantine Locale" in html and "Pas la mienne" not in html
    assert client.get(reverse("workspace:home")).url == reverse("workspace:startup_list")


def test_cockpit_shows_phase_progress_review_milestones_experiments_and_trends(
    client, agent_and_startup
):
    agent, startup = agent_and_startup
    add_indicator(startup, "Repas servis", [10, 20, 35])
    Milestone.objects.create(startup=startup, title="Premier collège servi", due_date=D(2025, 3, 1))
    Experiment.objects.create(
        startup=startup,
        hypothesis="Les chefs commandent en ligne",
        success_criterion="80 %",
        start_date=D(2025, 2, 1),
    )
    services.review_record(
        startup=startup,
        date=D(2025, 6, 2),
        decision=ReviewDecision.ADVANCE,
        actor=None,
        rationale="Besoin confirmé",
        next_review_date=D(2025, 12, 2),
    )
    client.force_login(agent)
    html = client.get(reverse("workspace:startup_detail", args=[startup.slug])).text
    assert "Construction" in html
    assert "2 décembre 2025" in html  # next review
    assert "Premier collège servi" in html and "Les chefs commandent en ligne" in html
    assert (
        'role="img"' in html
        and "Évolution de « Repas servis » : 3 mesures, dernière valeur 35" in html
    )
    assert 'role="progressbar"' in html


def test_progress_bar_states(agent_and_startup):
    _, startup = agent_and_startup  # investigation since 2025-01-06, 6 months
    assert phase_progress(startup, today=D(2025, 2, 1))["status"] == "success"
    assert phase_progress(startup, today=D(2025, 6, 20))["status"] == "warning"
    late = phase_progress(startup, today=D(2025, 8, 6))
    assert (
        late["status"] == "error"
        and late["percent"] == 100
        and "dépassée de 31 jours" in late["label"]
    )


def test_timeline_lists_everything_newest_first(client, agent_and_startup):
    agent, startup = agent_and_startup
    Milestone.objects.create(
        startup=startup,
        title="Atelier usagers",
        status="achieved",
        due_date=D(2025, 2, 1),
        achieved_on=D(2025, 2, 3),
    )
    services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=None,
        on=D(2025, 5, 1),
        rationale="Besoin confirmé par 30 entretiens",
    )
    client.force_login(agent)
    html = client.get(reverse("workspace:startup_timeline", args=[startup.slug])).text
    assert (
        html.index("Passage à la phase suivante : Construction")
        < html.index("Atelier usagers")
        < html.index("Démarrage : Investigation")
    )


def test_private_startup_of_someone_else_is_not_found(client, agent_and_startup):
    _, startup = agent_and_startup
    client.force_login(UserFactory())
    assert client.get(reverse("workspace:startup_detail", args=[startup.slug])).status_code == 404


def test_cockpit_query_count_does_not_grow_with_indicators(
    client, agent_and_startup, django_assert_max_num_queries
):
    agent, startup = agent_and_startup
    add_indicator(startup, "Indicateur 0", [1, 2])
    client.force_login(agent)
    url = reverse("workspace:startup_detail", args=[startup.slug])
    client.get(url)
    # Both counts right after a change: the header's menu is remembered until then.
    public_cache.bump()
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for index in range(1, 15):
        add_indicator(startup, f"Indicateur {index}", list(range(1, 12)))
        Milestone.objects.create(
            startup=startup, title=f"Jalon {index}", due_date=timezone.localdate()
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
