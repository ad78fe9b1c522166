"""Services for phase gates: entry criteria, their evidence, and overrides."""

__all__: list[str] = []
