"""Anyone may read the open data API without logging in; nobody may write through it."""

from django.urls import URLPattern, get_resolver, resolve

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = ["startups", "lessons", "indicators", "territories", "incubators"]
CSV = [f"/api/v1/{name}.csv" for name in LISTS]
PUBLIC_URLS = [
    "/api/v1/",
    *(f"/api/v1/{name}/" for name in LISTS),
    "/api/v1/startups/bus-a-la-demande/",
    "/api/v1/lessons/observer-avant-de-construire/",
    "/api/v1/territories/lille/",
    "/api/v1/incubators/anct/",
    *CSV,
    "/api/v1/datapackage.json",
    "/api/v1/schema/",
    "/api/v1/docs/",
]


def api_patterns():
    resolver = get_resolver()
    (api,) = [p for p in resolver.url_patterns if getattr(p, "namespace", None) == "api"]
    return [p for p in api.url_patterns if isinstance(p, URLPattern)]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_an_anonymous_visitor_reads_every_endpoint(api, network, url):
    response = api.get(url)
    assert response.status_code == 200, response.content[:300]


def test_indicator_detail_is_public(api, network):
    assert api.get(f"/api/v1/indicators/{network.indicator.pk}/").status_code == 200


def test_every_api_view_opts_out_of_the_login_requirement():
    # LoginRequiredMiddleware would redirect anonymous visitors to the login page.
    for pattern in api_patterns():
        assert pattern.callback.login_required is False, pattern.name
    assert resolve("/api/v1/startups/").func.login_required is False


def test_other_drf_views_still_require_a_login_by_default():
    # DRF exempts all its views from LoginRequiredMiddleware: the project default
    # keeps them closed unless they say AllowAny, as the open data views do.
    from rest_framework.settings import api_settings

    assert [c.__name__ for c in api_settings.DEFAULT_PERMISSION_CLASSES] == ["IsAuthenticated"]
    assert [c.__name__ for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES] == [
        "SessionAuthentication"
    ]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/startups/",
        "/api/v1/startups/bus-a-la-demande/",
        "/api/v1/lessons/",
        "/api/v1/territories/lille/",
        "/api/v1/startups.csv",
        "/api/v1/datapackage.json",
    ],
)
def test_writes_are_refused_with_a_french_message(api, network, method, url):
    response = getattr(api, method)(url, data={"name": "x"}, content_type="application/json")
    assert response.status_code == 405
    assert "non autorisée" in response.json()["detail"]


def test_writes_change_nothing(api, network):
    api.delete("/api/v1/startups/bus-a-la-demande/")
    assert api.get("/api/v1/startups/bus-a-la-demande/").status_code == 200


def test_a_logged_in_user_reads_the_api_too(client, network):
    client.force_login(UserFactory())
    assert client.get("/api/v1/startups/").status_code == 200


def test_the_root_links_every_resource(api, network):
    links = api.get("/api/v1/").json()
    assert links["startups"] == "http://testserver/api/v1/startups/"
    assert links["csv"]["indicators"] == "http://testserver/api/v1/indicators.csv"
    assert links["datapackage"] == "http://testserver/api/v1/datapackage.json"


def test_browsers_on_other_sites_may_read_the_data(api, network):
    for url in ["/api/v1/startups/", "/api/v1/startups.csv", "/api/v1/datapackage.json"]:
        assert api.get(url)["Access-Control-Allow-Origin"] == "*"
