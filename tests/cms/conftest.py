import pytest


@pytest.fixture
def uncached_pages(settings):
    """Measure what a page costs to build, not what the page and data caches serve."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    settings.PUBLIC_DATA_CACHE_SECONDS = 0
