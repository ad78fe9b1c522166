from django.core.cache import cache

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits live in the cache: no test inherits another's counters.
    cache.clear()
    yield
    cache.clear()
