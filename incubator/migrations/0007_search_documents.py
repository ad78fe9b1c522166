"""PostgreSQL only: stored, GIN-indexed search documents for startups and lessons.

Each `search_document` holds the words of `SearchVector(*fields, config="french")`
for the fields in `incubator.search.STORED_DOCUMENTS`, kept up to date by
triggers (so bulk inserts, imports and `update()` calls are covered too). A
lesson's document includes its startup's problem: a trigger on the startup
refreshes its lessons when the problem changes. Django does not know these
columns; `incubator.search` reads them. SQLite has none (its search reads the text).
"""

from django.db import migrations


def _concat(row: str, columns: list[str]) -> str:
    # What SearchVector(*fields) compiles to: COALESCE each, joined by a space.
    return " || ' ' || ".join(f"COALESCE({row}.{column}, '')" for column in columns)


STARTUP_COLUMNS = ["name", "pitch", "problem", "solution_hypothesis", "target_users", "description"]
STARTUP_PROBLEM = "(SELECT s.problem FROM incubator_startup s WHERE s.id = NEW.startup_id)"

FORWARD = f"""
ALTER TABLE incubator_startup ADD COLUMN search_document tsvector;
CREATE FUNCTION incubator_startup_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document := to_tsvector('french'::regconfig, {_concat("NEW", STARTUP_COLUMNS)});
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER incubator_startup_search_document
    BEFORE INSERT OR UPDATE ON incubator_startup
    FOR EACH ROW EXECUTE FUNCTION incubator_startup_search_document();
UPDATE incubator_startup SET search_document = NULL;
CREATE INDEX incubator_startup_search_document ON incubator_startup USING gin (search_document);

ALTER TABLE incubator_lesson ADD COLUMN search_document tsvector;
CREATE FUNCTION incubator_lesson_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document := to_tsvector(
        'french'::regconfig,
        COALESCE(NEW.title, '') || ' ' || COALESCE(NEW.body, '') || ' ' || COALESCE({STARTUP_PROBLEM}, '')
    );
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER incubator_lesson_search_document
    BEFORE INSERT OR UPDATE ON incubator_lesson
    FOR EACH ROW EXECUTE FUNCTION incubator_lesson_search_document();
CREATE FUNCTION incubator_startup_problem_to_lessons() RETURNS trigger AS $$
BEGIN
    UPDATE incubator_lesson SET search_document = NULL WHERE startup_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER incubator_startup_problem_to_lessons
    AFTER UPDATE OF problem ON incubator_startup
    FOR EACH ROW WHEN (OLD.problem IS DISTINCT FROM NEW.problem)
    EXECUTE FUNCTION incubator_startup_problem_to_lessons();
UPDATE incubator_lesson SET search_document = NULL;
CREATE INDEX incubator_lesson_search_document ON incubator_lesson USING gin (search_document);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS incubator_startup_problem_to_lessons ON incubator_startup;
DROP FUNCTION IF EXISTS incubator_startup_problem_to_lessons();
DROP TRIGGER IF EXISTS incubator_lesson_search_document ON incubator_lesson;
DROP FUNCTION IF EXISTS incubator_lesson_search_document();
ALTER TABLE incubator_lesson DROP COLUMN IF EXISTS search_document;
DROP TRIGGER IF EXISTS incubator_startup_search_document ON incubator_startup;
DROP FUNCTION IF EXISTS incubator_startup_search_document();
ALTER TABLE incubator_startup DROP COLUMN IF EXISTS search_document;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("incubator", "0006_public_list_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
