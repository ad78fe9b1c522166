import pytest


@pytest.fixture
def uncached_pages(settings):
    """Measure what a page costs to build, not what the page cache serves."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
