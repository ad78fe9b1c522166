import datetime
import json

from django.core.cache import cache

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits live in the cache: no test inherits another's counters.
    cache.clear()
    yield
    cache.clear()


SECURITY_LOG_FIELDS = {"timestamp", "event", "outcome", "user_id", "ip", "path", "details"}


@pytest.fixture
def security_events(caplog):
    """The security log's lines so far, each parsed from its JSON (all, or one event's);
    a line that is not JSON, or lacks a field, fails the test."""
    caplog.set_level("INFO", logger="security")

    def read(name=None):
        lines = [record.getMessage() for record in caplog.records if record.name == "security"]
        parsed = [json.loads(line) for line in lines]
        for entry in parsed:
            assert set(entry) == SECURITY_LOG_FIELDS, entry
            datetime.datetime.fromisoformat(entry["timestamp"])
        return [entry for entry in parsed if name is None or entry["event"] == name]

    read.text = lambda: caplog.text
    return read
