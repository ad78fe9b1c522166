"""The OpenAPI 3 description: valid, complete, in JSON and YAML; its UI has no CDN."""

import json
import re

from django.urls import URLPattern, get_resolver

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def documented_paths():
    """Every open data URL, as OpenAPI writes it (the schema and its UI excluded)."""
    (api,) = [p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "api"]
    paths = set()
    for pattern in api.url_patterns:
        if not isinstance(pattern, URLPattern) or pattern.name in {"schema", "docs"}:
            continue
        route = str(pattern.pattern).lstrip("^").rstrip("$")
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
        paths.add("/api/v1/" + route)
    return paths


@pytest.fixture
def schema(api):
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return json.loads(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Territoires Lab — API des données ouvertes"


def test_the_schema_lists_every_endpoint(schema):
    assert set(schema["paths"]) == documented_paths()
    assert "/api/v1/startups/{slug}/" in schema["paths"]
    assert "/api/v1/indicators.csv" in schema["paths"]
    # Nothing else: the Wagtail admin's internal API stays out.
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_only_reads_are_described(schema):
    for operations in schema["paths"].values():
        assert set(operations) <= {"get", "parameters"}


def test_filters_and_pagination_are_described(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/startups/"]["get"]["parameters"]}
    assert parameters == {"phase", "incubator", "theme", "territory", "page", "page_size"}
    lessons = {p["name"] for p in schema["paths"]["/api/v1/lessons/"]["get"]["parameters"]}
    assert {"reason", "theme"} <= lessons


def test_the_startup_schema_uses_beta_gouv_names(schema):
    startup = schema["components"]["schemas"]["Startup"]["properties"]
    assert {
        "id",
        "title",
        "mission",
        "phases",
        "incubator",
        "sponsors",
        "link",
        "repository",
    } <= set(startup)
    assert startup["sponsors"]["type"] == "array"


def test_the_schema_is_also_served_as_yaml(api, schema):
    response = api.get("/api/v1/schema/?format=yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content) == schema
    assert 'filename="territoires-lab-api-v1.yaml"' in response["Content-Disposition"]


def test_the_docs_page_loads_nothing_from_elsewhere(api):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "cdn" not in html.lower()
    # Its start-up script is a file of ours, not inline: the CSP allows no inline script.
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1)
    script = api.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
