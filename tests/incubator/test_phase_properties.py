"""Random sequences of lifecycle service calls never break the invariants."""

import datetime

from django.utils import timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incubator import services
from incubator.enums import TERMINAL_PHASES, Phase, ReviewDecision, TransitionKind
from incubator.exceptions import IncubatorError
from incubator.models import Startup
from tests.factories import StartupFactory, UserFactory, document_stop

START = datetime.date(2020, 1, 6)

step = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["advance", "pivot", "abandon", "reopen", "review"]),
        "phase": st.sampled_from(list(Phase)),
        "days": st.integers(min_value=-40, max_value=120),
        "document_first": st.booleans(),
        "by_staff": st.booleans(),
        "decision": st.sampled_from(list(ReviewDecision)),
    }
)


def apply(step, startup, day, staff, coach):
    actor = staff if step["by_staff"] else coach
    if step["document_first"]:
        document_stop(startup, on=min(day, timezone.localdate()))
    match step["action"]:
        case "advance":
            services.startup_change_phase(
                startup=startup, to_phase=step["phase"], actor=actor, on=day, rationale="r"
            )
        case "pivot":
            services.startup_change_phase(
                startup=startup,
                to_phase=step["phase"],
                actor=actor,
                on=day,
                rationale="r",
                pivot=True,
            )
        case "abandon":
            services.startup_change_phase(
                startup=startup, to_phase=Phase.ABANDONED, actor=actor, on=day, rationale="r"
            )
        case "reopen":
            services.startup_reopen(
                startup=startup, to_phase=step["phase"], actor=actor, on=day, rationale="r"
            )
        case "review":
            services.review_record(
                startup=startup, date=day, decision=step["decision"], actor=actor, rationale="r"
            )


def assert_invariants(startup: Startup):
    startup.refresh_from_db()
    transitions = list(startup.transitions.order_by("date", "created", "pk"))
    last = transitions[-1]
    assert startup.phase == last.to_phase
    assert startup.phase_since == last.date
    assert [t.date for t in transitions] == sorted(t.date for t in transitions)
    assert transitions[0].kind == TransitionKind.START
    for previous, current in zip(transitions, transitions[1:], strict=False):
        assert current.from_phase == previous.to_phase
        if previous.to_phase in TERMINAL_PHASES:
            assert current.kind == TransitionKind.REOPEN
    if startup.phase == Phase.ABANDONED:
        assert services.has_documented_stop(startup)


@pytest.fixture
def people(db):
    return UserFactory(staff=True), UserFactory(coach=True)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_random_service_calls_keep_the_lifecycle_invariants(people, steps):
    staff, coach = people
    startup = StartupFactory(started_on=START)
    day = START
    for current in steps:
        day = min(day + datetime.timedelta(days=current["days"]), timezone.localdate())
        before = (startup.transitions.count(), Startup.objects.get(pk=startup.pk).phase)
        try:
            apply(current, startup, day, staff, coach)
        except IncubatorError:
            # A refusal changes no phase and writes no history.
            assert (startup.transitions.count(), Startup.objects.get(pk=startup.pk).phase) == before
        assert_invariants(startup)
