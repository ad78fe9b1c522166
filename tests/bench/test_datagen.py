"""bench/datagen.py: the generated network is consistent, sized as asked and reproducible."""

import datetime

from django.db import transaction
from django.db.models import Count, F

import pytest

from bench.datagen import PRESETS, consistency_errors, generate
from incubator.enums import (
    TERMINAL_PHASES,
    FailureReason,
    FailureScope,
    MilestoneStatus,
    Phase,
    Visibility,
)
from incubator.models import (
    Failure,
    Incubator,
    Lesson,
    Measurement,
    Milestone,
    PhaseTransition,
    Startup,
    Territory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 1)
SMALL = PRESETS["small"]


class _Rollback(Exception):
    pass


def _names_of(seed: int) -> tuple[list[str], list[str]]:
    """Startup names and lesson titles generated with `seed`, then rolled back."""
    try:
        with transaction.atomic():
            generate("small", seed=seed, today=TODAY)
            names = list(Startup.objects.order_by("pk").values_list("name", flat=True))
            lessons = list(Lesson.objects.order_by("pk").values_list("title", flat=True))
            raise _Rollback
    except _Rollback:
        pass
    return names, lessons


@pytest.fixture
def small():
    return generate("small", seed=7, today=TODAY)


def test_counts_match_the_parameters(small):
    assert Startup.objects.count() == SMALL.startups
    assert Milestone.objects.count() == SMALL.milestones
    assert Measurement.objects.count() == SMALL.measurements
    assert Lesson.objects.count() == SMALL.lessons
    assert Territory.objects.count() == SMALL.territories
    assert Incubator.objects.count() == SMALL.incubators
    assert small.counts["startups"] == SMALL.startups
    assert small.counts["measurements"] == SMALL.measurements
    showcase = Startup.objects.get(slug=small.landmarks["startup_40"])
    assert Measurement.objects.filter(indicator__startup=showcase).count() == 40


def test_every_startup_stands_where_its_last_transition_put_it(small):
    last_transitions = {}
    for transition in PhaseTransition.objects.order_by("date", "created", "pk"):
        last_transitions[transition.startup_id] = transition
    for startup in Startup.objects.select_related("cohort__program"):
        last = last_transitions[startup.pk]
        assert (startup.phase, startup.phase_since) == (last.to_phase, last.date)
        assert startup.phase_deadline == startup.compute_phase_deadline()
    # Legal paths, increasing dates, committees, documented stops: all of it.
    assert consistency_errors(today=TODAY) == []


def test_the_network_looks_real(small):
    phases = set(Startup.objects.values_list("phase", flat=True))
    assert Phase.ABANDONED in phases
    assert phases - TERMINAL_PHASES, "some startups are still running"
    assert Startup.objects.filter(visibility=Visibility.PRIVATE).exists()
    assert {Visibility.PUBLIC, Visibility.PRIVATE} <= set(
        Lesson.objects.values_list("visibility", flat=True)
    )
    statuses = set(Milestone.objects.values_list("status", flat=True))
    assert {MilestoneStatus.ACHIEVED, MilestoneStatus.MISSED, MilestoneStatus.PLANNED} <= statuses
    for startup in Startup.objects.filter(phase=Phase.ABANDONED):
        failure = Failure.objects.get(startup=startup, scope=FailureScope.STARTUP)
        assert failure.reason in set(FailureReason.values) - {FailureReason.TO_DOCUMENT}
        assert failure.lessons.exists()
    # Lessons belong to their failure's startup; every membership has a person.
    assert not Lesson.objects.exclude(failure__startup=F("startup")).exists()
    assert (
        Startup.objects.annotate(n=Count("memberships")).filter(n=0).count() < SMALL.startups // 2
    )


def test_same_seed_same_network_other_seed_other_network():
    first, second, other = _names_of(11), _names_of(11), _names_of(12)
    assert first == second
    assert len(first[0]) == SMALL.startups
    assert first[0] != other[0]


def test_the_check_catches_a_startup_out_of_step(small):
    startup = Startup.objects.exclude(phase=Phase.ACCELERATION).first()
    Startup.objects.filter(pk=startup.pk).update(phase=Phase.ACCELERATION)
    assert any(startup.slug in error for error in consistency_errors(today=TODAY))


def test_generate_refuses_a_database_with_startups(small):
    with pytest.raises(RuntimeError):
        generate("small", seed=1, today=TODAY)
