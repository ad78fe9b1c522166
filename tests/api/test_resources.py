"""JSON shapes (beta.gouv.fr field names for startups), filters, pagination, bad input."""

import datetime

import pytest

from incubator.enums import AccessibilityCompliance

pytestmark = pytest.mark.django_db


def test_a_startup_keeps_beta_gouv_field_names(api, network):
    startup = api.get("/api/v1/startups/bus-a-la-demande/").json()
    last_update = startup.pop("last_update")
    assert datetime.datetime.fromisoformat(last_update).tzinfo is not None
    assert startup == {
        "id": "bus-a-la-demande",
        "title": "Bus à la demande",
        "mission": "Des bus qui viennent quand on les appelle.",
        "problem": "Les villages n’ont plus de ligne régulière.",
        "phase": "construction",
        "phase_since": "2024-06-01",
        "phases": [
            {"name": "investigation", "start": "2024-01-15", "end": "2024-06-01"},
            {"name": "construction", "start": "2024-06-01", "end": None},
        ],
        "incubator": "anct",
        "sponsors": ["lille", "nord"],
        "themes": ["mobilite"],
        "link": "https://bus.example.org",
        "repository": None,
        "stats_url": None,
        "impact_url": None,
        "budget_url": None,
        "accessibility_status": None,
        "url": "http://testserver/startups/bus-a-la-demande/",
    }


def test_accessibility_status_uses_beta_gouv_values(api, network):
    network.startup.accessibility_status = AccessibilityCompliance.PARTIAL
    network.startup.save()
    startup = api.get("/api/v1/startups/bus-a-la-demande/").json()
    assert startup["accessibility_status"] == "partiellement conforme"


def test_lessons_carry_the_reason_of_their_published_failure(api, network):
    lessons = {item["id"]: item for item in api.get("/api/v1/lessons/").json()["results"]}
    assert lessons["verifier-le-besoin"]["reason"] == "no_user_need"
    assert lessons["verifier-le-besoin"]["themes"] == ["sante"]
    assert lessons["observer-avant-de-construire"]["reason"] is None
    assert set(lessons["observer-avant-de-construire"]) == {
        "id",
        "title",
        "body",
        "startup",
        "themes",
        "reason",
        "created",
        "last_update",
    }


def test_indicators_carry_their_measurements(api, network):
    indicator = api.get(f"/api/v1/indicators/{network.indicator.pk}/").json()
    assert indicator["name"] == "Usagers"
    assert indicator["startup"] == "bus-a-la-demande"
    assert indicator["measurements"] == [
        {"date": "2024-02-01", "value": 12.5},
        {"date": "2024-03-01", "value": 40.0},
    ]


def test_territories_and_incubators_expose_public_fields_only(api, network):
    territory = api.get("/api/v1/territories/lille/").json()
    assert set(territory) == {
        "id",
        "name",
        "acronym",
        "kind",
        "siren",
        "insee_code",
        "startups_count",
        "startups_url",
    }
    assert territory["siren"] == "215903501"
    incubator = api.get("/api/v1/incubators/anct/").json()
    assert incubator["owner"] == "nord"
    assert "contact_email" not in incubator
    assert "coaches" not in incubator


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?phase=construction", ["bus-a-la-demande"]),
        ("?phase=investigation", ["cantine-locale"]),
        ("?phase=abandon", []),
        ("?incubator=fabrique-nord", ["cantine-locale"]),
        ("?theme=mobilite", ["bus-a-la-demande"]),
        ("?territory=lille", ["bus-a-la-demande", "cantine-locale"]),
        ("?territory=nord", ["bus-a-la-demande"]),
        ("?territory=lille&theme=sante", ["cantine-locale"]),
        ("?phase=", ["bus-a-la-demande", "cantine-locale"]),
    ],
)
def test_startup_filters(api, network, query, expected):
    response = api.get(f"/api/v1/startups/{query}")
    assert [s["id"] for s in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?reason=no_user_need", ["verifier-le-besoin"]),
        ("?reason=no_funding", []),  # only from the failure published without consent
        ("?theme=mobilite", ["observer-avant-de-construire"]),
        ("?startup=cantine-locale", ["observer-avant-de-construire-cantine"]),
    ],
)
def test_lesson_filters(api, network, query, expected):
    response = api.get(f"/api/v1/lessons/{query}")
    assert [lesson["id"] for lesson in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/startups/?phase=termine", "phase"),
        ("/api/v1/startups/?incubator=inconnu", "incubator"),
        ("/api/v1/startups/?theme=inconnue", "theme"),
        ("/api/v1/startups/?territory=inconnu", "territory"),
        ("/api/v1/lessons/?reason=paresse", "reason"),
        ("/api/v1/lessons/?theme=inconnue", "theme"),
        ("/api/v1/indicators/?startup=inconnue", "startup"),
    ],
)
def test_unknown_filter_values_are_a_400_in_french(api, network, query, field):
    response = api.get(query)
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.json()[field][0]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?page=abc", "page", "Le numéro de page doit être un entier positif."),
        ("?page=0", "page", "Le numéro de page doit être un entier positif."),
        ("?page=-1", "page", "Le numéro de page doit être un entier positif."),
        ("?page=1.5", "page", "Le numéro de page doit être un entier positif."),
        ("?page_size=100000", "page_size", "La taille de page doit être un entier entre 1 et 200."),
        ("?page_size=0", "page_size", "La taille de page doit être un entier entre 1 et 200."),
        ("?page_size=abc", "page_size", "La taille de page doit être un entier entre 1 et 200."),
        ("?page_size=", "page_size", "La taille de page doit être un entier entre 1 et 200."),
    ],
)
def test_bad_pagination_is_a_400_in_french(api, network, query, field, message):
    response = api.get(f"/api/v1/startups/{query}")
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_a_page_after_the_last_is_a_404_in_french(api, network):
    response = api.get("/api/v1/startups/?page=99")
    assert response.status_code == 404
    assert response.json() == {"detail": "Cette page n’existe pas."}


def test_pagination_is_stable_and_bounded(api, network):
    first = api.get("/api/v1/startups/?page_size=1").json()
    second = api.get("/api/v1/startups/?page_size=1&page=2").json()
    assert first["count"] == second["count"] == 2
    assert first["next"] == "http://testserver/api/v1/startups/?page=2&page_size=1"
    assert [first["results"][0]["id"], second["results"][0]["id"]] == [
        "bus-a-la-demande",
        "cantine-locale",
    ]
    assert api.get("/api/v1/startups/?page_size=200").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/startups/inconnue/",
        "/api/v1/lessons/inconnue/",
        "/api/v1/territories/inconnu/",
        "/api/v1/incubators/inconnu/",
        "/api/v1/indicators/999999/",
    ],
)
def test_unknown_identifiers_are_a_404_in_french(api, network, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "Aucune donnée publique ne correspond à cet identifiant."}


def test_malformed_identifiers_never_reach_a_500(api, network):
    for url in ["/api/v1/indicators/abc/", "/api/v1/startups/a.b/", "/api/v1/startups/%00/"]:
        assert api.get(url).status_code == 404
