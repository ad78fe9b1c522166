"""The open data API fuzzed in process by schemathesis, against its own OpenAPI description.

The schema is read from /api/v1/schema/ through Django's WSGI application;
every operation then gets generated path and query parameters, valid ones
(positive mode) and invalid ones (negative mode), against a database holding
public and private records. Every answer must be a non-5xx whose status code,
content type and body the schema declares, and invalid input must be refused
with a 4xx. Derandomized, so CI sees the same requests on every run.

(schemathesis' own pytest plugin does not run under pytest 9.2 — it writes
`request.node._nodeid`, gone from pytest — so each operation gets its
Hypothesis test here, from `operation.as_strategy`.)
"""

from django.apps import apps
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.db.models import Max

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import UserFactory

SCHEMA_URL = "/api/v1/schema/?format=json"
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def same_connection():
    """Keep the test's database connection across the requests of the WSGI app.

    Django closes "old" connections when a request starts and ends; inside a
    test transaction that would drop the fixture data. Django's test client
    disconnects the same handler for the same reason.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def generous_rates(settings):
    # Hundreds of requests from one client: the throttle is tested below and in test_throttling.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }


@pytest.fixture
def api_schema(network, same_connection, generous_rates, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # the WSGI client's host
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler())


def operations_of(schema):
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation, strategy) -> str | None:
    """Run one operation's Hypothesis test; its failure report, if any."""

    @given(case=strategy)
    @FUZZ
    def conforms(case):
        case.call_and_validate(checks=CHECKS)

    try:
        conforms()
    except (FailureGroup, Exception) as failure:  # each one reported, then the test fails
        return f"{operation.label}:\n{failure}"
    return None


def assert_no_failure(reports):
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_answers_as_its_schema_says(api_schema, mode):
    operations = operations_of(api_schema)
    assert len(operations) >= 16  # lists, details, CSV exports, Data Package, root
    assert_no_failure(
        fuzz(operation, operation.as_strategy(generation_mode=mode))
        for operation in operations
        # Nothing to make invalid in an operation without parameters.
        if mode == GenerationMode.POSITIVE or list(operation.iter_parameters())
    )


def real_identifiers(network) -> dict:
    """Path parameters of a public record, for each detail operation."""
    return {
        "/api/v1/startups/{slug}/": {"slug": network.startup.slug},
        "/api/v1/lessons/{slug}/": {"slug": network.lesson.slug},
        "/api/v1/indicators/{id}/": {"id": network.indicator.pk},
        "/api/v1/territories/{slug}/": {"slug": network.lille.slug},
        "/api/v1/incubators/{slug}/": {"slug": network.incubator.slug},
    }


def test_details_of_real_records_answer_as_their_schema_says(api_schema, network):
    """Random slugs only reach 404s: the details of real public records get fuzzed too."""
    real = real_identifiers(network)
    details = [operation for operation in operations_of(api_schema) if operation.path in real]
    assert {operation.path for operation in details} == set(real)
    for operation in details:
        response = operation.Case(path_parameters=real[operation.path]).call_and_validate(
            checks=CHECKS
        )
        assert response.status_code == 200, operation.label
    assert_no_failure(
        fuzz(operation, operation.as_strategy(path_parameters=real[operation.path]))
        for operation in details
    )


# --- Regressions found by the fuzzing above ---------------------------------------------


@pytest.fixture
def described(api):
    """The query parameters of each list, by name, as the schema describes them."""
    schema = api.get(SCHEMA_URL).json()
    return {
        path: {p["name"]: p["schema"] for p in operations["get"].get("parameters", [])}
        for path, operations in schema["paths"].items()
    }


@pytest.mark.parametrize(
    ("path", "name"), [("/api/v1/startups/", "phase"), ("/api/v1/lessons/", "reason")]
)
def test_the_schema_admits_the_empty_filter_the_api_accepts(api, network, described, path, name):
    # The schema listed only the phases, yet `?phase=` is a 200 listing every row.
    assert "" in described[path][name]["enum"]
    assert api.get(f"{path}?{name}=").json() == api.get(path).json()


def test_the_schema_states_the_pagination_bounds_the_api_enforces(api, network, described):
    # It said "any integer", yet page=0 and page_size=201 are refused.
    parameters = described["/api/v1/startups/"]
    assert parameters["page"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert api.get("/api/v1/startups/?page_size=200").status_code == 200
    assert api.get("/api/v1/startups/?page_size=201").status_code == 400
    assert api.get("/api/v1/startups/?page=0").status_code == 400


# --- Read-only and throttled, on every URL the schema describes ---------------------------


def every_api_url(schema_paths, network):
    """Each described path with a real public record, plus the schema and its UI."""
    real = real_identifiers(network)
    urls = [
        path.format(**real[path]) if path in real else path  # "/startups/{slug}/"
        for path in schema_paths
    ]
    return [*urls, "/api/v1/schema/", "/api/v1/docs/"]


def database_state():
    """Row count and latest change of every incubator model: what a write would move."""
    state = {}
    for model in apps.get_app_config("incubator").get_models():
        fields = {field.name for field in model._meta.concrete_fields}
        latest = (
            model.objects.aggregate(latest=Max("updated"))["latest"]
            if "updated" in fields
            else None
        )
        state[model._meta.label] = (model.objects.count(), latest)
    return state


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_the_api_is_read_only(client, network, described, generous_rates, logged_in):
    if logged_in:
        client.force_login(UserFactory())
    urls = every_api_url(described, network)
    before = database_state()
    for url in urls:
        assert client.get(url).status_code == 200, url
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(
                url, {"title": "Écrasé", "phase": "abandon"}, content_type="application/json"
            )
            assert response.status_code == 405, f"{method.upper()} {url}"
            assert "non autorisée" in response.content.decode()
    assert database_state() == before


def test_every_operation_is_throttled_with_a_french_429(client, network, described, settings):
    # The schema and its Swagger UI were not throttled (each schema request builds it whole).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "1/minute"},
    }
    for number, url in enumerate(every_api_url(described, network)):
        address = f"198.51.100.{number}"  # one client per URL: each starts with a clean count
        assert client.get(url, REMOTE_ADDR=address).status_code == 200, url
        response = client.get(url, REMOTE_ADDR=address)
        assert response.status_code == 429, url
        assert "Requête ralentie." in response.content.decode(), url
        assert int(response.headers["Retry-After"]) > 0
