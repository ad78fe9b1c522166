"""Only public data leaves through the API, whatever the query string (DESIGN §6)."""

import pytest

pytestmark = pytest.mark.django_db

SECRETS = [
    "projet-confidentiel",
    "Projet confidentiel",
    "projet-archive",
    "Notes internes",
    "Leçon d’un échec non publié",
    "Coût interne",
    "(privé)",
    "(archivé)",
    "987654.32",  # the private indicator’s value (never a substring of a timestamp)
]
SNEAKY_QUERIES = [
    "",
    "?visibility=private",
    "?visibility=all&archived=1",
    "?is_public=false",
    "?phase=investigation",
    "?incubator=anct",
    "?territory=lille",
    "?theme=mobilite",
    "?startup=bus-a-la-demande",
    "?page_size=200",
    "?ordering=-visibility",
    "?search=confidentiel",
]
LISTS = ["startups", "lessons", "indicators", "territories", "incubators"]


def assert_no_secret(content: bytes):
    text = content.decode()
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.mark.parametrize("query", SNEAKY_QUERIES)
@pytest.mark.parametrize("name", LISTS)
def test_lists_never_reveal_private_records(api, network, name, query):
    response = api.get(f"/api/v1/{name}/{query}")
    assert response.status_code in (200, 400)
    assert_no_secret(response.content)


@pytest.mark.parametrize("name", LISTS)
def test_csv_exports_never_reveal_private_records(api, network, name):
    response = api.get(f"/api/v1/{name}.csv?visibility=private")
    assert response.status_code == 200
    assert_no_secret(response.content)


def test_lists_hold_exactly_the_public_records(api, network):
    startups = api.get("/api/v1/startups/?visibility=private").json()
    assert [s["id"] for s in startups["results"]] == ["bus-a-la-demande", "cantine-locale"]
    lessons = api.get("/api/v1/lessons/").json()
    assert sorted(lesson["id"] for lesson in lessons["results"]) == [
        "observer-avant-de-construire",
        "observer-avant-de-construire-cantine",
        "verifier-le-besoin",
    ]
    indicators = api.get("/api/v1/indicators/").json()
    assert [i["startup"] for i in indicators["results"]] == ["bus-a-la-demande", "cantine-locale"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/startups/projet-confidentiel/",
        "/api/v1/startups/projet-archive/",
        "/api/v1/lessons/notes-internes/",
        "/api/v1/lessons/lecon-dun-echec-non-publie/",
        "/api/v1/startups/projet-confidentiel/?visibility=private",
    ],
)
def test_private_details_are_404_like_unknown_ones(api, network, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "Aucune donnée publique ne correspond à cet identifiant."}
    assert api.get("/api/v1/startups/n-existe-pas/").json() == response.json()


def test_private_indicator_details_are_404(api, network):
    assert api.get(f"/api/v1/indicators/{network.secret_indicator.pk}/").status_code == 404
    private_indicator = network.private.indicators.get()
    assert api.get(f"/api/v1/indicators/{private_indicator.pk}/").status_code == 404


def test_filtering_by_a_private_startup_is_refused_like_an_unknown_one(api, network):
    private = api.get("/api/v1/lessons/?startup=projet-confidentiel")
    unknown = api.get("/api/v1/lessons/?startup=n-existe-pas")
    assert private.status_code == unknown.status_code == 400
    assert private.json() == unknown.json()


def test_counts_only_include_public_startups(api, network):
    territories = {t["id"]: t for t in api.get("/api/v1/territories/").json()["results"]}
    # Lille sponsors the two public startups and the private one; Nord the archived one too.
    assert territories["lille"]["startups_count"] == 2
    assert territories["nord"]["startups_count"] == 1
    incubators = {i["id"]: i for i in api.get("/api/v1/incubators/").json()["results"]}
    assert incubators["anct"]["startups_count"] == 1
    assert incubators["anct"]["startups_url"] == "http://testserver/api/v1/startups/?incubator=anct"


def test_a_startup_that_becomes_private_leaves_the_api(api, network):
    from incubator.enums import Visibility

    network.other.visibility = Visibility.PRIVATE
    network.other.save()
    assert api.get("/api/v1/startups/cantine-locale/").status_code == 404
    assert "cantine" not in api.get("/api/v1/lessons/").content.decode()
    assert "cantine" not in api.get("/api/v1/indicators.csv").content.decode()
