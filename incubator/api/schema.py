"""OpenAPI description hooks (drf-spectacular)."""

API_PREFIX = "/api/v1/"


def only_open_data_endpoints(endpoints, **kwargs):
    """Describe the open data API only, not the other DRF views (Wagtail's admin API)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]
