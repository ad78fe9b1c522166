"""Services for what teams log day to day: milestones, experiments, indicators, profile."""

__all__: list[str] = []
