"""What the open data API reads, built on the public selectors only.

Each resource has a plain queryset (filters and the cheap version query run on
it) and a `decorate_*` step that adds the joins and prefetches its rows need,
so the number of queries of a list or an export does not grow with its rows.
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from incubator.models import (
    Incubator,
    Indicator,
    Lesson,
    Measurement,
    PhaseTransition,
    Startup,
    Territory,
    Theme,
)
from incubator.public_cache import remember
from incubator.selectors import public_indicators, public_lessons, public_startups

# Part of every ETag: bump it when a representation changes shape, so that
# clients holding an old ETag do not get a 304 for the new format.
REPRESENTATION_VERSION = "1"


# --- Plain querysets: public rows, stable order ---------------------------------------


def startups() -> QuerySet[Startup]:
    return public_startups().order_by("name", "slug")


def lessons() -> QuerySet[Lesson]:
    return public_lessons().order_by("-created", "pk")


def indicators() -> QuerySet[Indicator]:
    return public_indicators().order_by("startup__slug", "name", "pk")


def measurements() -> QuerySet[Measurement]:
    """One row per measurement of a public indicator: the indicators CSV."""
    return Measurement.objects.filter(indicator__in=public_indicators()).order_by(
        "indicator__startup__slug", "indicator__name", "indicator_id", "date"
    )


def territories() -> QuerySet[Territory]:
    """Territories are public records; only their public startups are counted."""
    return Territory.objects.order_by("name", "slug")


def incubators() -> QuerySet[Incubator]:
    """Incubators are public records; only their public startups are counted."""
    return Incubator.objects.order_by("name", "slug")


# --- Decorations: what the rows of each resource read, in a constant number of queries --


def decorate_startups(queryset: QuerySet[Startup]) -> QuerySet[Startup]:
    return (
        queryset.select_related("incubator")
        .defer("description", "target_users", "solution_hypothesis")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=PhaseTransition.objects.only(
                    "pk", "startup_id", "to_phase", "date", "created"
                ).order_by("date", "created", "pk"),
            ),
            Prefetch("themes", queryset=Theme.objects.only("pk", "slug").order_by("slug")),
            Prefetch("sponsors", queryset=Territory.objects.only("pk", "slug").order_by("slug")),
        )
    )


def decorate_lessons(queryset: QuerySet[Lesson]) -> QuerySet[Lesson]:
    return queryset.select_related("startup", "failure").prefetch_related(
        Prefetch("themes", queryset=Theme.objects.only("pk", "slug").order_by("slug"))
    )


def decorate_indicators(queryset: QuerySet[Indicator]) -> QuerySet[Indicator]:
    return queryset.select_related("startup").prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.order_by("date"))
    )


def decorate_measurements(queryset: QuerySet[Measurement]) -> QuerySet[Measurement]:
    return queryset.select_related("indicator__startup")


def decorate_territories(queryset: QuerySet[Territory]) -> QuerySet[Territory]:
    public = Q(sponsorships__startup__in=public_startups())
    return queryset.annotate(startups_count=Count("sponsorships", filter=public))


def decorate_incubators(queryset: QuerySet[Incubator]) -> QuerySet[Incubator]:
    public = Q(startups__in=public_startups())
    return queryset.select_related("owner").annotate(
        startups_count=Count("startups", filter=public)
    )


# --- Versions: ETag and Last-Modified in one cheap query ----------------------------------


@dataclass(frozen=True)
class Version:
    """What a conditional GET compares: an ETag and a Last-Modified date."""

    count: int
    last_modified: datetime.datetime | None
    etag: str


def _public_related(path: str) -> Q:
    return Q(**{f"{path}__in": public_startups()})


# For each resource: the timestamps and counts whose change changes its
# representation. Every writer saves the row it changes (services, importer,
# admin forms), which moves its `updated`; counts catch deleted related rows.
# Related startups only count while public: a private startup's edits never
# show, not even as a date.
VERSION_AGGREGATES = {
    "startups": lambda: {
        "updated": Max("updated"),
        "incubator": Max("incubator__updated"),
        "sponsorships": Max("sponsorships__updated"),
        "sponsors": Max("sponsorships__territory__updated"),
        "sponsorships_count": Count("sponsorships", distinct=True),
    },
    "lessons": lambda: {
        "updated": Max("updated"),
        "startup": Max("startup__updated"),
        "failure": Max("failure__updated"),
    },
    "indicators": lambda: {
        "updated": Max("updated"),
        "startup": Max("startup__updated"),
        "measurements": Max("measurements__updated"),
        "measurements_count": Count("measurements", distinct=True),
    },
    "measurements": lambda: {
        "updated": Max("updated"),
        "indicator": Max("indicator__updated"),
        "startup": Max("indicator__startup__updated"),
    },
    "territories": lambda: {
        "updated": Max("updated"),
        "startups": Max(
            "sponsorships__startup__updated", filter=_public_related("sponsorships__startup")
        ),
        "startups_count": Count(
            "sponsorships", filter=_public_related("sponsorships__startup"), distinct=True
        ),
    },
    "incubators": lambda: {
        "updated": Max("updated"),
        "owner": Max("owner__updated"),
        "startups": Max("startups__updated", filter=_public_related("startups")),
        "startups_count": Count("startups", filter=_public_related("startups"), distinct=True),
    },
}


def version_of(resource: str, queryset: QuerySet, *, representation: str) -> Version:
    """The version of these rows, in one aggregate query (no row is loaded).

    The ETag is exact for every change to the rows and their related records
    (it also covers rows leaving the set, through the count); Last-Modified is
    the latest timestamp, so a row that leaves the set may not move it: clients
    should prefer the ETag, which wins when both are sent. `representation`
    (list, detail, csv) keeps the ETags of different formats of the same rows apart.
    """
    # Each tracked change bumps the public data version: until then, the same
    # rows have the same version (the aggregate scanned every public startup).
    sql, params = queryset.order_by().query.sql_with_params()
    rows = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    return remember(
        f"api-version:{resource}:{representation}:{rows}",
        lambda: _compute_version(resource, queryset, representation),
    )


def _compute_version(resource: str, queryset: QuerySet, representation: str) -> Version:
    # Aliases must not shadow the relations the aggregates follow: prefix them.
    aggregates = {f"version_{key}": value for key, value in VERSION_AGGREGATES[resource]().items()}
    values = queryset.order_by().aggregate(
        version_row_count=Count("pk", distinct=True), **aggregates
    )
    timestamps = [v for v in values.values() if isinstance(v, datetime.datetime)]
    token = "|".join(
        [REPRESENTATION_VERSION, resource, representation, *(str(v) for v in values.values())]
    )
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    return Version(
        count=values["version_row_count"],
        last_modified=max(timestamps) if timestamps else None,
        etag=f'W/"{digest}"',
    )
