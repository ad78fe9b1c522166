from django.core.cache import cache

import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits live in the cache: no test inherits another's counters.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def coach(db):
    return UserFactory(coach=True)
