"""PostgreSQL only: full-text search ignores accents, as the SQLite fallback already does.

A visitor typing « ecole » must find « École »: French stemming alone keeps the accent
(« école » → "écol", « ecole » → "ecol"). The `french_unaccent` configuration is
PostgreSQL's French one with `unaccent` before the stemmer; the stored documents are
rebuilt with it. `unaccent` is a trusted extension (PostgreSQL 13+): the database's
owner may create it, no superuser needed.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION incubator_startup_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document := to_tsvector('{config}'::regconfig, {startup_text});
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION incubator_lesson_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document := to_tsvector('{config}'::regconfig, {lesson_text});
    RETURN NEW;
END $$ LANGUAGE plpgsql;
UPDATE incubator_startup SET search_document = NULL;
UPDATE incubator_lesson SET search_document = NULL;
"""

STARTUP_TEXT = " || ' ' || ".join(
    f"COALESCE(NEW.{column}, '')"
    for column in ("name", "pitch", "problem", "solution_hypothesis", "target_users", "description")
)
LESSON_TEXT = (
    "COALESCE(NEW.title, '') || ' ' || COALESCE(NEW.body, '') || ' ' || "
    "COALESCE((SELECT s.problem FROM incubator_startup s WHERE s.id = NEW.startup_id), '')"
)

FORWARD = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent;
CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION french_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
""" + FUNCTIONS.format(config="french_unaccent", startup_text=STARTUP_TEXT, lesson_text=LESSON_TEXT)

# The extension stays: other schemas may use it.
BACKWARD = (
    FUNCTIONS.format(config="french", startup_text=STARTUP_TEXT, lesson_text=LESSON_TEXT)
    + "DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent;"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("incubator", "0010_report_claimed_by")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
