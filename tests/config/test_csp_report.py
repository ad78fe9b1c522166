"""The CSP report endpoint: what browsers report is logged, anything else changes nothing."""

import json

from django.test import Client
from django.urls import reverse

import pytest

from config.csp_report import MAX_BODY_BYTES, ReportThrottle
from tests.config.test_csp import policy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LEGACY = "application/csp-report"
REPORTING_API = "application/reports+json"

# What Chromium sends for report-uri when a page runs an inline script.
LEGACY_REPORT = {
    "csp-report": {
        "document-uri": "https://territoires.example.fr/lecons/?q=cantine&token=abc#haut",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'; report-uri /csp-report/",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 12,
        "status-code": 200,
        "script-sample": "",
    }
}


def reporting_api_report(directive, blocked):
    return {
        "type": "csp-violation",
        "age": 3,
        "url": "https://territoires.example.fr/espace/",
        "user_agent": "Chromium",
        "body": {
            "documentURL": "https://territoires.example.fr/espace/",
            "blockedURL": blocked,
            "effectiveDirective": directive,
            "originalPolicy": "default-src 'self'",
            "disposition": "enforce",
            "statusCode": 200,
        },
    }


def send(client, body, content_type=LEGACY):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.generic("POST", reverse("csp_report"), raw, content_type=content_type)


def test_a_report_uri_report_is_logged_without_its_query_string(client, security_events):
    response = send(client, LEGACY_REPORT)

    assert response.status_code == 204
    (entry,) = security_events("csp_violation")
    assert entry["outcome"] == "denied"
    assert entry["path"] == reverse("csp_report")
    assert entry["details"] == {
        "blocked_uri": "inline",
        "violated_directive": "script-src-elem",
        # Search words and tokens stay out of the log.
        "document_uri": "https://territoires.example.fr/lecons/",
    }


def test_a_reporting_api_batch_logs_each_violation_and_ignores_other_reports(
    client, security_events
):
    batch = [
        reporting_api_report("img-src", "https://pisteur.example.com/pixel.gif?id=42"),
        {"type": "deprecation", "body": {"id": "x", "message": "y"}},
        reporting_api_report("script-src-elem", "https://cdn.example.com/lib.js"),
    ]
    response = send(client, batch, content_type=REPORTING_API)

    assert response.status_code == 204
    assert [entry["details"] for entry in security_events("csp_violation")] == [
        {
            "blocked_uri": "https://pisteur.example.com/pixel.gif",
            "violated_directive": "img-src",
            "document_uri": "https://territoires.example.fr/espace/",
        },
        {
            "blocked_uri": "https://cdn.example.com/lib.js",
            "violated_directive": "script-src-elem",
            "document_uri": "https://territoires.example.fr/espace/",
        },
    ]


def test_a_logged_in_visitors_report_names_them_and_needs_no_csrf_token(security_events):
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert send(client, LEGACY_REPORT).status_code == 204
    assert security_events("csp_violation")[0]["user_id"] == user.pk


def test_a_coach_yet_to_set_up_mfa_still_reports_and_is_not_redirected(security_events):
    """The MFA set-up redirect is for pages: a report sent with the session cookie of a
    coach without MFA must not be turned into a redirect and a queued message."""
    coach = UserFactory(coach=True)
    client = Client()
    client.force_login(coach)

    assert send(client, LEGACY_REPORT).status_code == 204
    assert security_events("csp_violation")[0]["user_id"] == coach.pk
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("workspace:home")).url == reverse("mfa_activate_totp")


def test_long_values_are_cut(client, security_events):
    report = {"csp-report": {**LEGACY_REPORT["csp-report"], "blocked-uri": "data:" + "A" * 5000}}
    assert send(client, report).status_code == 204
    assert len(security_events("csp_violation")[0]["details"]["blocked_uri"]) == 500


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b" ", LEGACY),
        (b"pas du json", LEGACY),
        (b"\xff\xfe{}", LEGACY),
        (b"NaN", LEGACY),
        ([LEGACY_REPORT], LEGACY),  # a list where one report is expected
        ({"csp-report": "script-src"}, LEGACY),
        ({"csp-report": {"blocked-uri": "inline"}}, LEGACY),  # no directive, no page
        ({"csp-report": {**LEGACY_REPORT["csp-report"], "violated-directive": 42}}, LEGACY),
        ({"csp-report": {**LEGACY_REPORT["csp-report"], "blocked-uri": ["a"]}}, LEGACY),
        (LEGACY_REPORT, REPORTING_API),  # an object where a list is expected
        (["csp-violation"], REPORTING_API),
        ([{"type": "csp-violation", "body": "x"}], REPORTING_API),
        # One good report does not carry a bad one in: nothing of the batch is logged.
        (
            [reporting_api_report("img-src", "https://a.example"), {"type": "csp-violation"}],
            REPORTING_API,
        ),
    ],
)
def test_anything_but_a_report_is_refused_and_nothing_is_logged(
    client, security_events, body, content_type
):
    response = send(client, body, content_type=content_type)

    assert response.status_code == 400
    assert "rapport" in response.content.decode()
    assert security_events("csp_violation") == []


def test_a_body_over_the_limit_is_refused_unread(client, security_events):
    report = {"csp-report": {**LEGACY_REPORT["csp-report"], "script-sample": "x" * MAX_BODY_BYTES}}

    assert send(client, report).status_code == 413
    assert security_events("csp_violation") == []


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data"])
def test_other_content_types_are_refused(client, security_events, content_type):
    assert send(client, LEGACY_REPORT, content_type=content_type).status_code == 415
    assert security_events("csp_violation") == []


def test_only_post_is_allowed(client):
    assert client.get(reverse("csp_report")).status_code == 405


def test_one_client_cannot_flood_the_log(client, security_events, monkeypatch):
    monkeypatch.setattr(ReportThrottle, "rate", "3/minute")

    statuses = [send(client, LEGACY_REPORT).status_code for _ in range(5)]

    assert statuses == [204, 204, 204, 429, 429]
    assert len(security_events("csp_violation")) == 3
    # Another address still gets through.
    other = client.generic(
        "POST",
        reverse("csp_report"),
        json.dumps(LEGACY_REPORT),
        content_type=LEGACY,
        REMOTE_ADDR="192.0.2.7",
    )
    assert other.status_code == 204


# --- The policy names the endpoint ------------------------------------------------------


def test_every_policy_names_the_report_endpoint(client):
    response = client.get(reverse("robots_txt"))

    directives = policy(response)
    assert directives["report-uri"] == [reverse("csp_report")]
    assert directives["report-to"] == ["csp"]
    assert response["Reporting-Endpoints"] == f'csp="{reverse("csp_report")}"'
