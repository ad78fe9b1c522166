"""The only writers of domain state, one transaction per function.

Split by area; everything is re-exported here so callers write
`from incubator import services; services.startup_change_phase(...)`.
"""

from incubator.services.gates import *  # noqa: F403
from incubator.services.gates import __all__ as _gates
from incubator.services.lifecycle import *  # noqa: F403
from incubator.services.lifecycle import __all__ as _lifecycle
from incubator.services.records import *  # noqa: F403
from incubator.services.records import __all__ as _records
from incubator.services.reports import *  # noqa: F403
from incubator.services.reports import __all__ as _reports

__all__ = [*_lifecycle, *_records, *_gates, *_reports]
