"""CSV exports for data.gouv.fr and their Frictionless Table Schemas, side by side.

Each `Export` lists its columns once: name, Table Schema type and format,
French description, and how to read the value from a row. The CSV header, the
rows and the published schema all come from that one list, so they cannot drift.

CSV: UTF-8 without BOM, comma-separated, RFC 4180 quoting (minimal, CRLF),
ISO 8601 dates, datetimes in UTC (`YYYY-MM-DDThh:mm:ssZ`), empty cell for a
missing value, lists of identifiers joined with commas inside one cell.
Descriptions are plain French: the Data Package is one stable document.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from incubator.api import queries
from incubator.api.serializers import absolute, phase_periods, startup_public_path
from incubator.enums import (
    AccessibilityCompliance,
    FailureReason,
    IndicatorDirection,
    Phase,
    TerritoryKind,
)

CSV_DIALECT = {
    "delimiter": ",",
    "lineTerminator": "\r\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "header": True,
}

LICENSE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}


@dataclass(frozen=True)
class Column:
    """One CSV column and its Table Schema field."""

    name: str
    type: str
    description: str
    value: Callable[[Any, Any], Any]
    format: str | None = None
    constraints: dict = field(default_factory=dict)

    def schema(self) -> dict:
        described = {"name": self.name, "type": self.type, "description": self.description}
        if self.format:
            described["format"] = self.format
        if self.constraints:
            described["constraints"] = self.constraints
        return described


@dataclass(frozen=True)
class Export:
    """A CSV resource of the Data Package: its rows and its Table Schema."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    queryset: Callable[[], QuerySet]
    decorate: Callable[[QuerySet], QuerySet]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (field, resource, field)
    version_key: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def table_schema(self) -> dict:
        schema = {
            "fields": [column.schema() for column in self.columns],
            "primaryKey": list(self.primary_key),
            "missingValues": [""],
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": name, "reference": {"resource": resource, "fields": target}}
                for name, resource, target in self.foreign_keys
            ]
        return schema

    def render(self, rows: Iterable, request) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(self.header)
        for row in rows:
            writer.writerow([cell(column.value(row, request)) for column in self.columns])
        return buffer.getvalue().encode("utf-8")


def cell(value) -> str:
    """A value as CSV text in the formats the Table Schemas declare."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _id(description: str) -> Column:
    return Column(
        "id",
        "string",
        description,
        lambda obj, request: obj.slug,
        constraints={"required": True, "unique": True},
    )


def _url(name: str, description: str, attribute: str | None = None) -> Column:
    return Column(
        name, "string", description, lambda obj, r: getattr(obj, attribute or name), format="uri"
    )


def _slugs(related) -> list[str]:
    return [item.slug for item in related.all()]


def _first_phase_start(startup):
    periods = phase_periods(startup.transitions.all())
    return periods[0]["start"] if periods else None


LISTS = "identifiants séparés par des virgules"

STARTUPS = Export(
    name="startups",
    title="Startups de territoire",
    description="Les startups publiques, leur phase et leurs liens (champs de beta.gouv.fr).",
    queryset=queries.startups,
    decorate=queries.decorate_startups,
    primary_key=("id",),
    foreign_keys=(("incubator", "incubators", "id"),),
    columns=(
        _id("Identifiant de la startup (slug), comme sur beta.gouv.fr."),
        Column("title", "string", "Nom.", lambda s, r: s.name),
        Column("mission", "string", "Pitch : la mission en une phrase.", lambda s, r: s.pitch),
        Column("problem", "string", "Problème de service public traité.", lambda s, r: s.problem),
        Column(
            "phase",
            "string",
            "Phase actuelle (noms de beta.gouv.fr).",
            lambda s, r: s.phase,
            constraints={"required": True, "enum": list(Phase.values)},
        ),
        Column(
            "phase_since",
            "date",
            "Date d’entrée dans la phase actuelle.",
            lambda s, r: s.phase_since,
        ),
        Column("start", "date", "Début de la première phase.", lambda s, r: _first_phase_start(s)),
        Column(
            "incubator",
            "string",
            "Identifiant de l’incubateur (voir incubators.csv).",
            lambda s, r: s.incubator.slug,
            constraints={"required": True},
        ),
        Column(
            "sponsors",
            "string",
            f"Territoires sponsors : {LISTS} (voir territories.csv).",
            lambda s, r: _slugs(s.sponsors),
        ),
        Column("themes", "string", f"Thématiques : {LISTS}.", lambda s, r: _slugs(s.themes)),
        _url("link", "Site du service.", "website"),
        _url("repository", "Code source."),
        _url("stats_url", "Page de statistiques."),
        _url("impact_url", "Mesure d’impact."),
        _url("budget_url", "Budget."),
        Column(
            "accessibility_status",
            "string",
            "Conformité RGAA déclarée ; vide si non renseignée.",
            lambda s, r: s.accessibility_status,
            constraints={"enum": [value for value in AccessibilityCompliance.values if value]},
        ),
        Column(
            "last_update",
            "datetime",
            "Dernière modification de la fiche (UTC).",
            lambda s, r: s.updated,
        ),
        Column(
            "url",
            "string",
            "Page publique de la startup.",
            lambda s, r: absolute(r, startup_public_path(s.slug)),
            format="uri",
        ),
    ),
)

LESSONS = Export(
    name="lessons",
    title="Leçons apprises",
    description="Les leçons publiques des startups, y compris celles tirées d’un échec publié.",
    queryset=queries.lessons,
    decorate=queries.decorate_lessons,
    primary_key=("id",),
    foreign_keys=(("startup", "startups", "id"),),
    columns=(
        _id("Identifiant de la leçon (slug)."),
        Column("title", "string", "Titre.", lambda lesson, r: lesson.title),
        Column("body", "string", "Texte de la leçon.", lambda lesson, r: lesson.body),
        Column(
            "startup",
            "string",
            "Identifiant de la startup (voir startups.csv).",
            lambda lesson, r: lesson.startup.slug,
            constraints={"required": True},
        ),
        Column(
            "themes", "string", f"Thématiques : {LISTS}.", lambda lesson, r: _slugs(lesson.themes)
        ),
        Column(
            "reason",
            "string",
            "Cause de l’échec dont vient la leçon ; vide si elle ne vient pas d’un échec.",
            lambda lesson, r: lesson.failure.reason if lesson.failure_id else None,
            constraints={"enum": list(FailureReason.values)},
        ),
        Column("created", "datetime", "Date de rédaction (UTC).", lambda lesson, r: lesson.created),
        Column(
            "last_update",
            "datetime",
            "Dernière modification (UTC).",
            lambda lesson, r: lesson.updated,
        ),
    ),
)

INDICATORS = Export(
    name="indicators",
    title="Indicateurs d’impact et leurs mesures",
    description="Une ligne par mesure d’un indicateur public d’une startup publique.",
    queryset=queries.measurements,
    decorate=queries.decorate_measurements,
    version_key="measurements",
    primary_key=("indicator_id", "date"),
    foreign_keys=(("startup", "startups", "id"),),
    columns=(
        Column(
            "indicator_id",
            "integer",
            "Identifiant numérique de l’indicateur (celui de l’API JSON).",
            lambda m, r: m.indicator_id,
            constraints={"required": True},
        ),
        Column(
            "startup",
            "string",
            "Identifiant de la startup (voir startups.csv).",
            lambda m, r: m.indicator.startup.slug,
            constraints={"required": True},
        ),
        Column("indicator", "string", "Nom de l’indicateur.", lambda m, r: m.indicator.name),
        Column("unit", "string", "Unité.", lambda m, r: m.indicator.unit),
        Column(
            "direction",
            "string",
            "« up » : plus c’est haut, mieux c’est ; « down » : l’inverse.",
            lambda m, r: m.indicator.direction,
            constraints={"enum": list(IndicatorDirection.values)},
        ),
        Column(
            "target",
            "number",
            "Cible de l’indicateur ; vide si aucune.",
            lambda m, r: m.indicator.target,
        ),
        Column(
            "date",
            "date",
            "Date de la mesure.",
            lambda m, r: m.date,
            constraints={"required": True},
        ),
        Column(
            "value",
            "number",
            "Valeur mesurée.",
            lambda m, r: m.value,
            constraints={"required": True},
        ),
    ),
)

TERRITORIES = Export(
    name="territories",
    title="Territoires",
    description="Collectivités et administrations qui sponsorisent ou accueillent des startups.",
    queryset=queries.territories,
    decorate=queries.decorate_territories,
    primary_key=("id",),
    columns=(
        _id("Identifiant du territoire (slug)."),
        Column("name", "string", "Nom.", lambda t, r: t.name),
        Column("acronym", "string", "Sigle.", lambda t, r: t.acronym),
        Column(
            "kind",
            "string",
            "Type de territoire.",
            lambda t, r: t.kind,
            constraints={"enum": list(TerritoryKind.values)},
        ),
        Column("siren", "string", "SIREN (9 chiffres).", lambda t, r: t.siren),
        Column("insee_code", "string", "Code INSEE (COG).", lambda t, r: t.insee_code),
        Column(
            "startups_count",
            "integer",
            "Nombre de startups publiques que le territoire sponsorise.",
            lambda t, r: t.startups_count,
            constraints={"required": True, "minimum": 0},
        ),
    ),
)

INCUBATORS = Export(
    name="incubators",
    title="Incubateurs",
    description="Les incubateurs du réseau.",
    queryset=queries.incubators,
    decorate=queries.decorate_incubators,
    primary_key=("id",),
    foreign_keys=(("owner", "territories", "id"),),
    columns=(
        _id("Identifiant de l’incubateur (slug)."),
        Column("title", "string", "Nom.", lambda i, r: i.name),
        Column("description", "string", "Présentation.", lambda i, r: i.description),
        _url("website", "Site web."),
        Column(
            "owner",
            "string",
            "Identifiant du territoire qui porte l’incubateur (voir territories.csv).",
            lambda i, r: i.owner.slug if i.owner_id else None,
        ),
        Column(
            "startups_count",
            "integer",
            "Nombre de startups publiques de l’incubateur.",
            lambda i, r: i.startups_count,
            constraints={"required": True, "minimum": 0},
        ),
    ),
)

EXPORTS = {
    export.name: export for export in (STARTUPS, LESSONS, INDICATORS, TERRITORIES, INCUBATORS)
}


def data_package(*, resource_url: Callable[[Export], str], homepage: str) -> dict:
    """The Frictionless (tabular) Data Package that lists the CSV exports."""
    return {
        "profile": "tabular-data-package",
        "name": "territoires-lab",
        "title": "Territoires Lab — startups de territoire",
        "description": (
            "Données publiques des startups de territoire : startups et phases, leçons apprises, "
            "indicateurs d’impact, territoires sponsors, incubateurs."
        ),
        "homepage": homepage,
        "version": "1.0.0",
        "licenses": [LICENSE],
        "resources": [
            {
                "name": export.name,
                "path": resource_url(export),
                "title": export.title,
                "description": export.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": CSV_DIALECT,
                "schema": export.table_schema(),
            }
            for export in EXPORTS.values()
        ],
    }
