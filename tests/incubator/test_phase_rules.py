"""The phase table: forward moves, abandon from anywhere live, pivots back one step."""

import pytest

from incubator.enums import (
    DEFAULT_MAX_DURATION_MONTHS,
    PHASE_ORDER,
    TERMINAL_PHASES,
    Phase,
    is_allowed_transition,
)


@pytest.mark.parametrize("phase", PHASE_ORDER)
def test_every_live_phase_can_be_abandoned(phase):
    assert is_allowed_transition(phase, Phase.ABANDONED)


@pytest.mark.parametrize("terminal", sorted(TERMINAL_PHASES))
def test_terminal_phases_accept_no_move(terminal):
    for target in Phase:
        assert not is_allowed_transition(terminal, target)
        assert not is_allowed_transition(terminal, target, pivot=True)


def test_forward_path_and_its_two_successful_endings():
    assert is_allowed_transition(Phase.INVESTIGATION, Phase.CONSTRUCTION)
    assert not is_allowed_transition(Phase.INVESTIGATION, Phase.ACCELERATION)  # no skipping
    assert is_allowed_transition(Phase.CONSOLIDATION, Phase.TRANSFERRED)
    assert is_allowed_transition(Phase.CONSOLIDATION, Phase.OPERATED)
    assert not is_allowed_transition(Phase.ACCELERATION, Phase.OPERATED)


def test_a_pivot_goes_back_exactly_one_phase():
    assert is_allowed_transition(Phase.CONSTRUCTION, Phase.INVESTIGATION, pivot=True)
    assert is_allowed_transition(Phase.CONSOLIDATION, Phase.ACCELERATION, pivot=True)
    assert not is_allowed_transition(Phase.CONSOLIDATION, Phase.INVESTIGATION, pivot=True)
    assert not is_allowed_transition(Phase.INVESTIGATION, Phase.INVESTIGATION, pivot=True)
    assert not is_allowed_transition(Phase.CONSTRUCTION, Phase.INVESTIGATION)  # not without pivot


def test_beta_gouv_names_and_default_durations():
    assert {Phase.TRANSFERRED.value, Phase.OPERATED.value, Phase.ABANDONED.value} == {
        "transfere",
        "opere",
        "abandon",
    }
    assert DEFAULT_MAX_DURATION_MONTHS == {
        Phase.INVESTIGATION: 6,
        Phase.CONSTRUCTION: 12,
        Phase.ACCELERATION: 24,
        Phase.CONSOLIDATION: 12,
    }
