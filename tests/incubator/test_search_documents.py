"""PostgreSQL keeps each startup's and lesson's search words in an indexed column.

The triggers of migrations incubator 0007 and 0011 must store exactly what
`SearchVector(*fields)` computes for the fields `incubator.search` searches, and
keep it current whatever writes the rows.
"""

from django.contrib.postgres.search import SearchVector
from django.db import connection

import pytest

from incubator.models import Lesson, Startup
from incubator.search import (
    LESSON_SEARCH_FIELDS,
    SEARCH_CONFIG,
    STARTUP_SEARCH_FIELDS,
    STORED_DOCUMENTS,
    search,
)
from tests.cms.test_lessons_library import stop
from tests.factories import StartupFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search"),
]


def stored(model) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, search_document::text FROM {model._meta.db_table}")  # noqa: S608 - our own table
        return dict(cursor.fetchall())


def computed(model, fields) -> dict[int, str]:
    rows = model.objects.annotate(words=SearchVector(*fields, config=SEARCH_CONFIG))
    return dict(rows.values_list("pk", "words"))


def test_the_stored_columns_are_for_the_fields_searched():
    assert STORED_DOCUMENTS == {
        ("incubator", "startup"): STARTUP_SEARCH_FIELDS,
        ("incubator", "lesson"): LESSON_SEARCH_FIELDS,
    }


def test_stored_documents_hold_what_search_vector_computes():
    startup = StartupFactory(
        name="Cantine à l’école",
        pitch="Des repas équilibrés",
        problem="Les élèves mangent mal le midi.",
        description="",
    )
    stop(startup, title="Observer la cantine", body="Deux semaines au self.")
    stop(StartupFactory(problem=""), title="Sans problème écrit", body="Rien.")
    assert stored(Startup) == computed(Startup, STARTUP_SEARCH_FIELDS)
    assert stored(Lesson) == computed(Lesson, LESSON_SEARCH_FIELDS)
    assert "cantin" in stored(Lesson)[startup.lessons.get().pk]


def test_every_way_of_writing_keeps_them_current():
    startup = StartupFactory(problem="Les usagers attendent au guichet.")
    lesson = stop(startup, title="Observer", body="Deux semaines.")
    assert list(search(Lesson.objects.all(), "guichet", LESSON_SEARCH_FIELDS)) == [lesson]

    # The startup's problem changes: its lessons follow, even through update().
    Startup.objects.filter(pk=startup.pk).update(problem="La cantine déborde.")
    assert list(search(Lesson.objects.all(), "guichet", LESSON_SEARCH_FIELDS)) == []
    assert list(search(Lesson.objects.all(), "cantine", LESSON_SEARCH_FIELDS)) == [lesson]

    Lesson.objects.filter(pk=lesson.pk).update(title="Compter les plateaux")
    assert list(search(Lesson.objects.all(), "plateau", LESSON_SEARCH_FIELDS)) == [lesson]

    startup.refresh_from_db()
    startup.name = "Plateau repas"
    startup.save()
    assert list(search(Startup.objects.all(), "plateaux", STARTUP_SEARCH_FIELDS)) == [startup]
    assert stored(Startup) == computed(Startup, STARTUP_SEARCH_FIELDS)
    assert stored(Lesson) == computed(Lesson, LESSON_SEARCH_FIELDS)


def test_other_fields_are_searched_as_before():
    startup = StartupFactory(name="Guichet unique", pitch="Rien")
    StartupFactory(name="Autre", pitch="Un guichet")
    assert list(search(Startup.objects.all(), "guichet", ["name"])) == [startup]


def test_accents_and_case_do_not_matter_either_way():
    """Visitors often type without accents; editors write them (and sometimes not)."""
    school = StartupFactory(name="École inclusive", pitch="Des élèves accueillis")
    stop(school, title="Réunir les équipes pédagogiques", body="Trop tôt.")
    plain = StartupFactory(name="Cantine", pitch="Repas servis a l'ecole")

    for query in ("ecole", "ÉCOLE", "école", "Ecole"):
        assert set(search(Startup.objects.all(), query, STARTUP_SEARCH_FIELDS)) == {
            school,
            plain,
        }, query
    assert list(search(Lesson.objects.all(), "equipes pedagogiques", LESSON_SEARCH_FIELDS)) == [
        school.lessons.get()
    ]
    # The search-engine syntax still works on top of it.
    assert list(search(Startup.objects.all(), "ecole -cantine", STARTUP_SEARCH_FIELDS)) == [school]
