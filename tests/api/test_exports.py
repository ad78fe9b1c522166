"""CSV exports for data.gouv.fr: their headers, formats and Table Schemas agree."""

import csv
import io
import json

import pytest
from frictionless import Package, Resource, Schema

from incubator import services
from incubator.api.exports import EXPORTS
from incubator.enums import AccessibilityCompliance, Visibility

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))


@pytest.fixture
def package(api, network):
    response = api.get("/api/v1/datapackage.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("name", list(EXPORTS))
def test_each_csv_header_is_its_schema(api, network, package, name):
    response = api.get(f"/api/v1/{name}.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    (resource,) = [r for r in package["resources"] if r["name"] == name]
    header = read_csv(response)[0]
    assert header == [field["name"] for field in resource["schema"]["fields"]]
    assert header == EXPORTS[name].header


@pytest.mark.parametrize("name", list(EXPORTS))
def test_each_csv_is_valid_against_its_table_schema(api, network, package, name, tmp_path):
    (described,) = [r for r in package["resources"] if r["name"] == name]
    schema = {key: value for key, value in described["schema"].items() if key != "foreignKeys"}
    path = tmp_path / f"{name}.csv"
    path.write_bytes(api.get(f"/api/v1/{name}.csv").content)
    resource = Resource(
        path=path.name,
        basepath=str(tmp_path),
        encoding="utf-8",
        schema=Schema.from_descriptor(schema),
    )
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == len(read_csv(api.get(f"/api/v1/{name}.csv"))) - 1


def test_the_whole_package_is_valid_with_its_foreign_keys(api, network, package, tmp_path):
    # The published paths are URLs of this server: validate local copies instead.
    for resource in package["resources"]:
        (tmp_path / f"{resource['name']}.csv").write_bytes(
            api.get(f"/api/v1/{resource['name']}.csv").content
        )
        resource["path"] = f"{resource['name']}.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_package_describes_every_export(package):
    assert package["profile"] == "tabular-data-package"
    assert package["licenses"][0]["name"] == "etalab-2.0"
    resources = {r["name"]: r for r in package["resources"]}
    assert set(resources) == {"startups", "lessons", "indicators", "territories", "incubators"}
    assert resources["startups"]["path"] == "http://testserver/api/v1/startups.csv"
    for resource in resources.values():
        assert resource["encoding"] == "utf-8"
        assert resource["schema"]["primaryKey"]
        for field in resource["schema"]["fields"]:
            assert field["description"] and field["type"]
    assert resources["indicators"]["schema"]["primaryKey"] == ["indicator_id", "date"]
    assert resources["lessons"]["schema"]["foreignKeys"] == [
        {"fields": "startup", "reference": {"resource": "startups", "fields": "id"}}
    ]


def test_csv_is_rfc_4180_utf8_with_iso_dates(api, network):
    services.startup_update_profile(
        startup=network.startup,
        actor=None,
        pitch='Des bus, "à la demande", pour tous',
        problem="Première ligne.\nDeuxième ligne, avec virgule.",
    )
    network.startup.accessibility_status = AccessibilityCompliance.PARTIAL
    network.startup.save()
    response = api.get("/api/v1/startups.csv")
    raw = response.content
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    assert b'"Des bus, ""\xc3\xa0 la demande"", pour tous"' in raw
    assert b"\r\n" in raw
    rows = read_csv(response)
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[0] == "id"
    assert first["problem"] == "Première ligne.\nDeuxième ligne, avec virgule."
    assert first["phase_since"] == "2024-06-01"
    assert first["start"] == "2024-01-15"
    assert first["sponsors"] == "lille,nord"
    assert first["accessibility_status"] == "partiellement conforme"
    assert first["last_update"].endswith("Z") and "T" in first["last_update"]
    assert first["url"] == "http://testserver/startups/bus-a-la-demande/"


def test_indicators_csv_has_one_row_per_public_measurement(api, network):
    rows = read_csv(api.get("/api/v1/indicators.csv"))
    assert rows[0] == [
        "indicator_id",
        "startup",
        "indicator",
        "unit",
        "direction",
        "target",
        "date",
        "value",
    ]
    assert [row[1:] for row in rows[1:3]] == [
        ["bus-a-la-demande", "Usagers", "usagers", "up", "", "2024-02-01", "12.50"],
        ["bus-a-la-demande", "Usagers", "usagers", "up", "", "2024-03-01", "40.00"],
    ]
    assert len(rows) == 1 + 4  # two public indicators of public startups, two values each


def test_lessons_csv_lists_public_lessons_only(api, network):
    services.lesson_create(startup=network.other, title="Encore privée", body="Non.", author=None)
    services.lesson_create(
        startup=network.other,
        title="Publique aussi",
        body="Oui.",
        author=None,
        visibility=Visibility.PUBLIC,
    )
    ids = [row[0] for row in read_csv(api.get("/api/v1/lessons.csv"))[1:]]
    assert "publique-aussi" in ids
    assert "encore-privee" not in ids
    assert len(ids) == 4


def test_the_schema_validation_catches_a_bad_cell(api, network, package, tmp_path):
    # Guard against a vacuous check: a wrong phase and a French date must fail.
    (described,) = [r for r in package["resources"] if r["name"] == "startups"]
    schema = {key: value for key, value in described["schema"].items() if key != "foreignKeys"}
    content = api.get("/api/v1/startups.csv").content.decode()
    content = content.replace(",construction,2024-06-01,", ",terminee,01/06/2024,")
    (tmp_path / "startups.csv").write_text(content, encoding="utf-8")
    resource = Resource(
        path="startups.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(schema)
    )
    errors = resource.validate().flatten(["fieldName", "type"])
    assert ["phase", "constraint-error"] in errors
    assert ["phase_since", "type-error"] in errors
