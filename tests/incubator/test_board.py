"""The coach's cohort board: alerts, rows, sort, filters, CSV, permissions, query count."""

import csv
import datetime
import io

from django.urls import reverse
from django.utils import timezone

import pytest

from incubator import alerts, services
from incubator.alerts import AlertKind
from incubator.enums import FailureReason, FailureScope, MembershipRole, Phase, ReviewDecision
from incubator.models import Membership, Sponsorship, Startup
from incubator.views.board import BOARD_PAGE_SIZE
from tests.factories import (
    CohortFactory,
    IncubatorFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
    document_stop,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def board_built_each_time(settings):
    """These tests read the rows the view builds; the cached table is tested in test_public_cache."""
    settings.PUBLIC_DATA_CACHE_SECONDS = 0


def noon_days_ago(days: int) -> datetime.datetime:
    """Noon, `days` calendar days before today: `now - 31 days` is 30 calendar days
    ago late in the evening when a daylight-saving change lies in between."""
    return timezone.make_aware(
        datetime.datetime.combine(TODAY - datetime.timedelta(days=days), datetime.time(12))
    )


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def healthy(name="En forme", *, started=20, **kwargs) -> Startup:
    """A startup with nothing to flag: recent, an agent in post, a signed commitment."""
    startup = StartupFactory(name=name, started_on=days_ago(started), **kwargs)
    Membership.objects.create(
        startup=startup, user=UserFactory(), role=MembershipRole.AGENT, start_date=days_ago(started)
    )
    Sponsorship.objects.create(
        startup=startup, territory=TerritoryFactory(), commitment_signed_on=days_ago(started)
    )
    return startup


def kinds(startup, today=TODAY):
    annotated = alerts.annotate_for_board(Startup.objects.filter(pk=startup.pk), today=today).get()
    return [alert.kind for alert in alerts.alerts_for(annotated, today=today)]


# --- Alerts -----------------------------------------------------------------------


def test_a_healthy_startup_has_no_alert():
    assert kinds(healthy()) == []


def test_phase_overdue_after_the_maximum_duration():
    startup = healthy(started=200)  # investigation lasts 6 months
    assert AlertKind.PHASE_OVERDUE in kinds(startup)
    assert AlertKind.PHASE_OVERDUE not in kinds(startup, today=days_ago(100))


def test_review_overdue_when_the_planned_date_passed():
    startup = healthy(started=60)
    services.review_record(
        startup=startup,
        date=days_ago(40),
        decision=ReviewDecision.CONTINUE,
        actor=None,
        next_review_date=days_ago(2),
    )
    assert AlertKind.REVIEW_OVERDUE in kinds(startup)
    assert AlertKind.REVIEW_OVERDUE not in kinds(startup, today=days_ago(3))


def test_review_overdue_without_a_committee_for_six_months():
    startup = healthy(started=200)
    assert AlertKind.REVIEW_OVERDUE in kinds(startup)
    # A committee three months ago, no date set for the next one: not yet due.
    services.review_record(
        startup=startup, date=days_ago(90), decision=ReviewDecision.CONTINUE, actor=None
    )
    assert AlertKind.REVIEW_OVERDUE not in kinds(startup)
    # Six months after the phase started, a first committee is due.
    assert AlertKind.REVIEW_OVERDUE not in kinds(healthy("Récente", started=150))


def test_no_update_after_30_days_of_silence():
    startup = healthy()
    stale = noon_days_ago(31)
    Startup.objects.filter(pk=startup.pk).update(last_activity_at=stale)
    assert kinds(startup) == [AlertKind.NO_UPDATE]
    (alert,) = alerts.alerts_for(
        alerts.annotate_for_board(Startup.objects.filter(pk=startup.pk)).get(), today=TODAY
    )
    assert alert.label == "Aucune mise à jour depuis 31 jours"
    Startup.objects.filter(pk=startup.pk).update(last_activity_at=noon_days_ago(29))
    assert kinds(startup) == []


def test_no_agent_counts_only_current_agent_entrepreneurs():
    startup = healthy()
    Membership.objects.filter(startup=startup).update(end_date=days_ago(1))
    Membership.objects.create(startup=startup, user=UserFactory(), role=MembershipRole.TEAM)
    assert kinds(startup) == [AlertKind.NO_AGENT]


def test_no_signed_commitment():
    startup = healthy()
    Sponsorship.objects.filter(startup=startup).update(commitment_signed_on=None)
    assert kinds(startup) == [AlertKind.NO_SIGNED_COMMITMENT]


def test_terminal_phases_only_get_the_undocumented_stop():
    # An imported stop with a post-mortem "to document" and no lesson.
    stopped = StartupFactory(name="Arrêtée", started_on=days_ago(400))
    services.failure_record(
        startup=stopped,
        scope=FailureScope.STARTUP,
        reason=FailureReason.TO_DOCUMENT,
        occurred_on=days_ago(100),
        author=None,
    )
    services.startup_sync_imported_phases(
        startup=stopped,
        phases=[(Phase.INVESTIGATION, days_ago(400)), (Phase.ABANDONED, days_ago(100))],
        rationale="Import",
    )
    (alert,) = alerts.alerts_for(stopped, today=TODAY)  # also works on a plain instance
    assert alert.kind == AlertKind.UNDOCUMENTED_STOP and alert.label
    document_stop(stopped, on=days_ago(50))
    assert kinds(stopped) == []
    transferred = StartupFactory(name="Transférée", started_on=days_ago(400))
    services.startup_sync_imported_phases(
        startup=transferred,
        phases=[(Phase.INVESTIGATION, days_ago(400)), (Phase.TRANSFERRED, days_ago(300))],
        rationale="Import",
    )
    assert kinds(transferred) == []  # no agent, no signature, no review: no matter


def test_alerts_for_needs_no_query_once_annotated(django_assert_num_queries):
    healthy(started=200)
    (startup,) = alerts.annotate_for_board(Startup.objects.all())
    with django_assert_num_queries(0):
        assert AlertKind.PHASE_OVERDUE in [a.kind for a in alerts.alerts_for(startup, today=TODAY)]


def test_the_database_filter_agrees_with_alerts_for():
    startups = [healthy("A"), healthy("B", started=200), StartupFactory(name="C")]
    Startup.objects.filter(pk=startups[0].pk).update(last_activity_at=noon_days_ago(45))
    annotated = alerts.annotate_for_board(Startup.objects.all(), today=TODAY)
    for kind in AlertKind:
        in_db = set(
            annotated.filter(alerts.alert_filter(kind, today=TODAY)).values_list("name", flat=True)
        )
        in_python = {
            s.name for s in annotated if kind in [a.kind for a in alerts.alerts_for(s, today=TODAY)]
        }
        assert in_db == in_python, kind


# --- The board --------------------------------------------------------------------


@pytest.fixture
def coach(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    return UserFactory(coach=True)


@pytest.fixture
def network(coach):
    """The coach's incubator (two cohorts), and a startup of another incubator."""
    incubator = IncubatorFactory(name="Fabrique Nord")
    incubator.coaches.add(coach)
    spring = CohortFactory(name="Promotion printemps", program__incubator=incubator)
    autumn = CohortFactory(name="Promotion automne", program__incubator=incubator)
    lyon = TerritoryFactory(name="Ville de Lyon", slug="ville-de-lyon")
    cantine = healthy("Cantine Locale", started=20, incubator=incubator, cohort=spring)
    Sponsorship.objects.filter(startup=cantine).update(territory=lyon)
    late = healthy("Bus à la demande", started=200, incubator=incubator, cohort=autumn)
    services.startup_change_phase(
        startup=late, to_phase=Phase.CONSTRUCTION, actor=None, on=days_ago(10), rationale="r"
    )
    services.review_record(
        startup=late,
        date=days_ago(10),
        decision=ReviewDecision.CONTINUE,
        actor=None,
        next_review_date=TODAY + datetime.timedelta(days=60),
    )
    lone = healthy("Alerte Canicule", started=100, incubator=incubator, cohort=spring)
    Membership.objects.filter(startup=lone).delete()
    Startup.objects.filter(pk=lone.pk).update(last_activity_at=noon_days_ago(40))
    elsewhere = healthy("Ailleurs", incubator=IncubatorFactory())
    return {
        "spring": spring,
        "autumn": autumn,
        "lyon": lyon,
        "cantine": cantine,
        "late": late,
        "lone": lone,
        "elsewhere": elsewhere,
    }


def board_names(client, **params):
    response = client.get(reverse("workspace:board"), params)
    assert response.status_code == 200
    rows = [row["startup"].name for row in response.context["rows"]]
    return rows


def test_the_board_lists_the_coachs_startups_with_their_state(client, coach, network):
    client.force_login(coach)
    response = client.get(reverse("workspace:board"))
    html = response.text
    assert board_names(client) == ["Alerte Canicule", "Bus à la demande", "Cantine Locale"]
    assert "Ailleurs" not in html
    assert reverse("workspace:startup_detail", args=["cantine-locale"]) in html
    assert 'role="progressbar"' in html and "fr-badge" in html
    assert "Construction" in html  # phase badge
    next_review = TODAY + datetime.timedelta(days=60)
    assert next_review.strftime("%d/%m/%Y") in html
    # Short badges, with the detail for screen readers.
    assert ">Aucun agent-entrepreneur</p>" in html
    assert "Pas de mise à jour depuis 30 jours</p>" in html
    assert "Aucune mise à jour depuis 40 jours" in html
    assert "40 jours" in html and "aujourd’hui" in html
    assert "Toutes mes startups" in html and "Promotion printemps" in html


def test_the_board_sorts(client, coach, network):
    client.force_login(coach)
    assert board_names(client, tri="-nom") == [
        "Cantine Locale",
        "Bus à la demande",
        "Alerte Canicule",
    ]
    assert board_names(client, tri="-phase")[0] == "Bus à la demande"
    # Shortest time in phase first: Bus (10 days), Cantine (20), Canicule (100).
    assert board_names(client, tri="temps") == [
        "Bus à la demande",
        "Cantine Locale",
        "Alerte Canicule",
    ]
    assert board_names(client, tri="maj")[-1] == "Alerte Canicule"
    assert board_names(client, tri="comite")[0] == "Bus à la demande"
    html = client.get(reverse("workspace:board"), {"tri": "nom", "phase": ""}).text
    assert 'aria-sort="ascending"' in html and "tri=-nom" in html


def test_the_board_filters(client, coach, network):
    client.force_login(coach)
    assert board_names(client, promotion=network["spring"].slug) == [
        "Alerte Canicule",
        "Cantine Locale",
    ]
    assert board_names(client, phase=Phase.CONSTRUCTION) == ["Bus à la demande"]
    assert board_names(client, alerte=AlertKind.NO_AGENT) == ["Alerte Canicule"]
    assert board_names(client, alerte=AlertKind.NO_UPDATE) == ["Alerte Canicule"]
    assert board_names(client, territoire="ville-de-lyon") == ["Cantine Locale"]
    assert board_names(client, phase=Phase.CONSTRUCTION, territoire="ville-de-lyon") == []
    # A promotion that is not the coach's is ignored, and said so.
    other = CohortFactory(name="Promotion d’ailleurs")
    response = client.get(reverse("workspace:board"), {"promotion": other.slug})
    assert len(response.context["rows"]) == 3
    assert "Un filtre n’est pas valide" in response.text
    assert "Promotion d’ailleurs" not in response.text


def test_cohort_coaches_see_their_cohort_only(client, network, settings):
    cohort_coach = UserFactory(coach=True)
    network["autumn"].coaches.add(cohort_coach)
    client.force_login(cohort_coach)
    assert board_names(client) == ["Bus à la demande"]


def test_staff_see_every_startup(client, coach, network):
    client.force_login(UserFactory(staff=True))
    assert "Ailleurs" in board_names(client)


def test_the_csv_export_has_the_same_rows_for_french_excel(client, coach, network):
    client.force_login(coach)
    response = client.get(reverse("workspace:board_csv"), {"promotion": network["spring"].slug})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "tableau-startups.csv" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][:3] == ["Startup", "Promotion", "Phase"]
    assert "Prochain comité" in rows[0] and "Alertes" in rows[0]
    assert [row[0] for row in rows[1:]] == ["Alerte Canicule", "Cantine Locale"]
    canicule = dict(zip(rows[0], rows[1], strict=True))
    assert canicule["Phase"] == "Investigation"
    assert canicule["Jours depuis la dernière mise à jour"] == "40"
    assert "Aucun agent-entrepreneur en poste" in canicule["Alertes"]
    # The board links to the export with its filters.
    html = client.get(reverse("workspace:board"), {"phase": "construction"}).text
    assert reverse("workspace:board_csv") + "?phase=construction" in html


@pytest.mark.parametrize("role", ["agent", "territory"])
def test_non_coaches_are_refused(client, network, role):
    user = UserFactory(territory=True) if role == "territory" else UserFactory()
    Membership.objects.create(startup=network["cantine"], user=user, role=MembershipRole.AGENT)
    client.force_login(user)
    assert client.get(reverse("workspace:board")).status_code == 403
    assert client.get(reverse("workspace:board_csv")).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    for name in ("workspace:board", "workspace:board_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("account_login") in response.url


def test_coach_home_is_the_board(client, coach):
    client.force_login(coach)
    assert client.get(reverse("workspace:home")).url == reverse("workspace:board")


def populate(coach, cohort, count, offset=0):
    """Startups with everything a row shows: review, sponsor, agent, alerts."""
    for index in range(offset, offset + count):
        startup = StartupFactory(
            name=f"Startup {index:03d}",
            incubator=cohort.program.incubator,
            cohort=cohort,
            started_on=days_ago(30 + index),
        )
        Membership.objects.create(startup=startup, user=coach, role=MembershipRole.COACH)
        if index % 2:
            Membership.objects.create(
                startup=startup, user=UserFactory(), role=MembershipRole.AGENT
            )
        Sponsorship.objects.create(
            startup=startup,
            territory=TerritoryFactory(),
            commitment_signed_on=days_ago(10) if index % 3 else None,
        )
        services.review_record(
            startup=startup,
            date=days_ago(5),
            decision=ReviewDecision.CONTINUE,
            actor=None,
            next_review_date=TODAY + datetime.timedelta(days=index + 1),
        )


@pytest.mark.parametrize("name", ["workspace:board", "workspace:board_csv"])
@pytest.mark.parametrize(
    "params", [{}, {"tri": "-comite", "alerte": "no_agent", "phase": "investigation"}]
)
def test_query_count_is_constant_in_the_number_of_rows(
    client, coach, django_assert_max_num_queries, name, params, settings
):
    settings.PUBLIC_DATA_CACHE_SECONDS = 0  # count the filter choices' queries too
    bound = 20  # the base template (menu, site settings) takes about ten
    cohort = CohortFactory()
    cohort.coaches.add(coach)
    populate(coach, cohort, 5)
    client.force_login(coach)
    url = reverse(name)
    client.get(url, params)  # warm per-process caches (site settings…)
    with django_assert_max_num_queries(bound) as five:
        assert client.get(url, params).status_code == 200
    populate(coach, cohort, 55, offset=5)
    with django_assert_max_num_queries(bound) as sixty:
        response = client.get(url, params)
    assert len(sixty.captured_queries) == len(five.captured_queries)
    if name == "workspace:board" and not params:
        assert len(response.context["rows"]) == BOARD_PAGE_SIZE  # of 60
        assert "60 startups — page 1 sur 3" in response.text


def test_the_board_is_paginated_keeping_filters_and_sort(client, coach):
    cohort = CohortFactory()
    cohort.coaches.add(coach)
    populate(coach, cohort, BOARD_PAGE_SIZE + 3)
    client.force_login(coach)
    url = reverse("workspace:board")
    first = client.get(url, {"tri": "-nom"})
    second = client.get(url, {"tri": "-nom", "page": 2})
    names = [row["startup"].name for row in first.context["rows"]]
    names += [row["startup"].name for row in second.context["rows"]]
    assert len(second.context["rows"]) == 3
    assert names == sorted(names, reverse=True) and len(set(names)) == BOARD_PAGE_SIZE + 3
    assert "tri=-nom&amp;page=2" in first.text  # the pagination keeps the sort
    # Changing the order starts again on the first page.
    assert "page=2" not in second.context["headers"]["phase"]["url"]
    # A page past the end shows the last one.
    assert client.get(url, {"tri": "-nom", "page": 99}).context["rows"] == second.context["rows"]
    # The CSV still has every row.
    body = client.get(reverse("workspace:board_csv")).content.decode("utf-8-sig")
    assert len(body.strip().splitlines()) == BOARD_PAGE_SIZE + 3 + 1


def test_the_csv_export_neutralises_spreadsheet_formulas(client, coach, network):
    Startup.objects.filter(pk=network["cantine"].pk).update(name='=HYPERLINK("http://x")')
    client.force_login(coach)
    body = client.get(reverse("workspace:board_csv")).content.decode("utf-8-sig")
    names = [row[0] for row in csv.reader(io.StringIO(body), delimiter=";")]
    assert '\'=HYPERLINK("http://x")' in names
    # A leading tab or carriage return also makes some spreadsheets read a formula.
    Startup.objects.filter(pk=network["cantine"].pk).update(name='\t=HYPERLINK("http://x")')
    body = client.get(reverse("workspace:board_csv")).content.decode("utf-8-sig")
    names = [row[0] for row in csv.reader(io.StringIO(body), delimiter=";")]
    assert '\'\t=HYPERLINK("http://x")' in names
