"""E-mail notifications of the lifecycle, sent by background tasks after commit."""


def phase_decision_recorded(transition_id: int) -> None:
    """Tell the team a phase decision was recorded (being written: see incubator/tasks.py)."""
