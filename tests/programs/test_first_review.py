"""The first committee fixed on acceptance is the startup's next review until it holds one."""

import datetime

import pytest

from incubator import alerts, notifications, services
from incubator.enums import ReviewDecision
from incubator.models import Startup
from programs import services as program_services
from tests.programs.conftest import AFTER_CALL

pytestmark = pytest.mark.django_db
FIRST_REVIEW = datetime.date(2026, 10, 12)


def next_reviews(startup):
    annotated = alerts.annotate_for_board(Startup.objects.filter(pk=startup.pk)).get()
    feed = notifications.with_next_review_date(Startup.objects.filter(pk=startup.pk)).get()
    return getattr(annotated, alerts.NEXT_REVIEW_DATE), feed.next_review


def test_the_first_review_date_shows_until_a_committee_sets_the_next(submitted, coach, cohort):
    startup = program_services.application_accept(
        submitted, coach=coach, cohort=cohort, first_review_date=FIRST_REVIEW, now=AFTER_CALL
    ).startup
    assert next_reviews(startup) == (FIRST_REVIEW, FIRST_REVIEW)

    services.review_record(
        startup=startup,
        date=FIRST_REVIEW,
        decision=ReviewDecision.CONTINUE,
        actor=coach,
        next_review_date=datetime.date(2027, 4, 12),
    )
    assert next_reviews(startup) == (datetime.date(2027, 4, 12),) * 2
