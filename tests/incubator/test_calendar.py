"""The committee calendar: the cohort page and the coach's private iCalendar feed."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest
from icalendar import Calendar

from accounts.models import User
from incubator.enums import ReviewDecision, Visibility
from incubator.models import Review
from tests.factories import CohortFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA is tested on its own


def review(startup, next_date, *, archived=False):
    return Review.objects.create(
        startup=startup,
        date=next_date - 30 * DAY,
        decision=ReviewDecision.CONTINUE,
        next_review_date=next_date,
        archived_at=timezone.now() if archived else None,
    )


def first_of_month(day):
    return day.replace(day=1)


@pytest.fixture
def world():
    today = timezone.localdate()
    month_a = first_of_month(first_of_month(today) + 40 * DAY)  # the month after next
    month_b = first_of_month(month_a + 40 * DAY)
    cohort = CohortFactory()
    coach = UserFactory(coach=True)
    cohort.coaches.add(coach)

    def startup(name, **kwargs):
        return StartupFactory(
            name=name,
            cohort=cohort,
            incubator=cohort.program.incubator,
            visibility=Visibility.PRIVATE,
            **kwargs,
        )

    late = startup("Retardataire")
    review(late, today - 3 * DAY)
    early_a = startup("Alpha")
    review(early_a, month_a + 2 * DAY)
    later_a = startup("Bêta")
    review(later_a, month_a + 20 * DAY)
    # The latest review wins; an archived one does not count.
    review(later_a, month_a + 12 * DAY, archived=True)
    in_b = startup("Gamma")
    review(in_b, month_b + 4 * DAY)
    unscheduled = startup("Sans date")

    # Another coach's private startup, in another cohort.
    other_cohort = CohortFactory()
    other_coach = UserFactory(coach=True)
    other_cohort.coaches.add(other_coach)
    hidden = StartupFactory(
        name="Secrète",
        cohort=other_cohort,
        incubator=other_cohort.program.incubator,
        visibility=Visibility.PRIVATE,
    )
    review(hidden, month_a + 5 * DAY)
    return {
        "today": today,
        "month_a": month_a,
        "month_b": month_b,
        "cohort": cohort,
        "coach": coach,
        "other_coach": other_coach,
        "other_cohort": other_cohort,
        "startups": {
            "late": late,
            "early_a": early_a,
            "later_a": later_a,
            "in_b": in_b,
            "unscheduled": unscheduled,
            "hidden": hidden,
        },
    }


def page_url(cohort):
    return reverse("workspace:cohort_calendar", kwargs={"slug": cohort.slug})


def feed_url(user):
    user.refresh_from_db()
    return reverse("calendar_feed", kwargs={"token": user.calendar_token})


# --- The page -----------------------------------------------------------------------


def test_page_groups_reviews_by_month_and_flags_overdue(client, world):
    client.force_login(world["coach"])
    response = client.get(page_url(world["cohort"]))
    assert response.status_code == 200
    s = world["startups"]
    months = response.context["months"]
    assert [m["month"] for m in months] == [
        first_of_month(world["today"] - 3 * DAY),
        world["month_a"],
        world["month_b"],
    ]
    assert [[(e["startup"], e["date"], e["overdue"]) for e in m["entries"]] for m in months] == [
        [(s["late"], world["today"] - 3 * DAY, True)],
        [
            (s["early_a"], world["month_a"] + 2 * DAY, False),
            (s["later_a"], world["month_a"] + 20 * DAY, False),
        ],
        [(s["in_b"], world["month_b"] + 4 * DAY, False)],
    ]
    assert response.context["unscheduled"] == [s["unscheduled"]]
    assert response.context["overdue_count"] == 1
    html = response.content.decode()
    for key in ("late", "early_a", "later_a", "in_b", "unscheduled"):
        assert reverse("workspace:startup_detail", args=[s[key].slug]) in html
    assert "En retard" in html
    assert "Secrète" not in html
    # The subscription URL is absolute and private to this coach.
    assert f"http://testserver{feed_url(world['coach'])}" in html


@pytest.mark.parametrize(
    "who, status",
    [
        ("coach", 200),
        ("incubator_coach", 200),
        ("staff", 200),
        ("other_coach", 404),
        ("agent", 404),
    ],
)
def test_page_is_for_the_cohort_coaches_and_staff(client, world, who, status):
    users = {
        "coach": world["coach"],
        "other_coach": world["other_coach"],
        "staff": UserFactory(staff=True),
        "agent": UserFactory(),
        "incubator_coach": UserFactory(coach=True),
    }
    world["cohort"].program.incubator.coaches.add(users["incubator_coach"])
    client.force_login(users[who])
    assert client.get(page_url(world["cohort"])).status_code == status


def test_page_needs_a_session(client, world):
    response = client.get(page_url(world["cohort"]))
    assert response.status_code == 302


def test_board_links_to_the_calendar_of_the_chosen_cohort(client, world):
    client.force_login(world["coach"])
    url = page_url(world["cohort"])
    assert url not in client.get(reverse("workspace:board")).content.decode()
    response = client.get(reverse("workspace:board"), {"promotion": world["cohort"].slug})
    assert url in response.content.decode()


# --- The feed -----------------------------------------------------------------------


def events_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_feed_lists_the_next_review_of_every_coached_startup(client, world):
    coach = world["coach"]
    assert coach.calendar_token is None
    client.force_login(coach)
    client.get(page_url(world["cohort"]))  # the token is created on first use
    client.logout()

    url = feed_url(coach)
    events = events_of(client.get(url))  # anonymous: calendar apps have no session
    s = world["startups"]
    assert set(events) == {
        "Comité : Retardataire",
        "Comité : Alpha",
        "Comité : Bêta",
        "Comité : Gamma",
    }
    event = events["Comité : Bêta"]
    assert event.decoded("dtstart") == world["month_a"] + 20 * DAY  # a date: all day
    assert event.decoded("dtend") == world["month_a"] + 21 * DAY
    assert str(event["url"]) == "http://testserver" + reverse(
        "workspace:startup_detail", args=[s["later_a"].slug]
    )
    assert "dtstamp" in event
    # UIDs: one per startup and date, stable from one fetch to the next.
    uids = {str(e["uid"]) for e in events.values()}
    assert len(uids) == 4
    assert uids == {str(e["uid"]) for e in events_of(client.get(url)).values()}
    assert str(event["uid"]).startswith(
        f"comite-{s['later_a'].pk}-{(world['month_a'] + 20 * DAY):%Y%m%d}@"
    )


def test_feed_of_another_coach_excludes_these_private_startups(client, world):
    client.force_login(world["other_coach"])
    client.get(page_url(world["other_cohort"]))
    client.logout()
    events = events_of(client.get(feed_url(world["other_coach"])))
    assert set(events) == {"Comité : Secrète"}


def test_regenerating_the_link_invalidates_the_old_one(client, world):
    coach = world["coach"]
    client.force_login(coach)
    client.get(page_url(world["cohort"]))
    old_url = feed_url(coach)
    rotate = reverse(
        "workspace:cohort_calendar_token_rotate", kwargs={"slug": world["cohort"].slug}
    )
    response = client.post(rotate)
    assert response.status_code == 302
    assert response["Location"] == page_url(world["cohort"])
    new_url = feed_url(coach)
    assert new_url != old_url
    client.logout()
    old = client.get(old_url)
    assert old.status_code == 404
    assert old.content == b""
    assert events_of(client.get(new_url))


def test_only_the_cohort_coaches_may_regenerate_from_its_page(client, world):
    client.force_login(world["other_coach"])
    rotate = reverse(
        "workspace:cohort_calendar_token_rotate", kwargs={"slug": world["cohort"].slug}
    )
    assert client.post(rotate).status_code == 404
    world["other_coach"].refresh_from_db()
    assert world["other_coach"].calendar_token is None


@pytest.mark.parametrize("token", ["inconnu", "a" * 43])
def test_unknown_token_is_a_bare_404(client, world, token):
    response = client.get(reverse("calendar_feed", kwargs={"token": token}))
    assert response.status_code == 404
    assert response.content == b""


def test_feed_of_an_inactive_user_is_a_404(client, world):
    coach = world["coach"]
    client.force_login(coach)
    client.get(page_url(world["cohort"]))
    client.logout()
    url = feed_url(coach)
    User.objects.filter(pk=coach.pk).update(is_active=False)
    assert client.get(url).status_code == 404


# --- Constant queries ---------------------------------------------------------------


def _cohort_with(count):
    cohort = CohortFactory()
    coach = UserFactory(coach=True)
    cohort.coaches.add(coach)
    today = timezone.localdate()
    for n in range(count):
        startup = StartupFactory(cohort=cohort, incubator=cohort.program.incubator)
        review(startup, today + (n * 17 - 40) * DAY)
    return cohort, coach


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_page_and_feed_take_a_constant_number_of_queries(client):
    counts = []
    for size in (2, 20):
        cohort, coach = _cohort_with(size)
        client.force_login(coach)
        client.get(page_url(cohort))  # creates the token
        page = _queries(client, page_url(cohort))
        client.logout()
        feed = _queries(client, feed_url(coach))
        counts.append((page, feed))
    assert counts[0] == counts[1]
