"""Full-text search of any queryset by what a visitor typed, on PostgreSQL and SQLite.

    search(public_lessons(), "accueil au guichet", LESSON_SEARCH_FIELDS)

On PostgreSQL: French full-text search (stemming, stop words, accents and case
ignored: "ecole" finds « École ») with the web search-engine syntax (`"exact phrase"`, `-excluded`, `or`), results ranked by
relevance (`search_rank`), the queryset's own order breaking ties.
Elsewhere (SQLite in development and tests): every word must appear in one of
the fields, whatever its case and accents ("ecole" finds « École »), in the
queryset's own order; no stemming, no ranking, no operators.

`fields` are single-valued paths: the model's own text columns or forward
foreign keys (`startup__problem`). A many-to-many path would repeat rows on
PostgreSQL.

Only the expressions of `django.contrib.postgres.search` are used, never the
`__search` lookup: `django.contrib.postgres` need not be in INSTALLED_APPS.
"""

import re
import unicodedata
from collections.abc import Sequence

from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL

# French stemming and stop words, accents ignored (migration incubator 0011).
SEARCH_CONFIG = "french_unaccent"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8

# What the public directory and the lessons library search.
STARTUP_SEARCH_FIELDS = (
    "name",
    "pitch",
    "problem",
    "solution_hypothesis",
    "target_users",
    "description",
)
LESSON_SEARCH_FIELDS = ("title", "body", "startup__problem")

# On PostgreSQL, the words of `SearchVector(*fields)` for these exact fields are
# kept in a `search_document` column with a GIN index, by triggers (migration
# incubator 0007): a search reads the index instead of parsing every row's text
# (60 ms over 5,000 lessons, growing with the data). A test checks that each column
# holds what `SearchVector(*fields)` gives.
STORED_DOCUMENTS = {
    ("incubator", "startup"): STARTUP_SEARCH_FIELDS,
    ("incubator", "lesson"): LESSON_SEARCH_FIELDS,
}
STORED_DOCUMENT_COLUMN = "search_document"

# Words the fallback does not require (PostgreSQL's French configuration drops them too).
STOP_WORDS = frozenset(
    "au aux avec ce ces dans de des du elle en et il la le les leur lui ma mais me mes "
    "ne nos notre ou par pas pour qu que qui sa se ses son sur ta te tes un une vos votre".split()
)

# Each base letter and what it may stand for in stored text, both cases.
_LETTER_VARIANTS = {
    "a": "aàâäáãåAÀÂÄÁÃÅ",
    "c": "cçCÇ",
    "e": "eéèêëEÉÈÊË",
    "i": "iîïíìIÎÏÍÌ",
    "n": "nñNÑ",
    "o": "oôöóòõOÔÖÓÒÕ",
    "u": "uùûüúUÙÛÜÚ",
    "y": "yÿýYŸÝ",
}
_LIGATURES = {"oe": "(?:oe|œ|OE|Œ)", "ae": "(?:ae|æ|AE|Æ)"}


def search(queryset: QuerySet, query: str, fields: Sequence[str]) -> QuerySet:
    """`queryset` narrowed to the rows matching `query` in any of `fields`.

    An empty or blank query returns the queryset unchanged.
    """
    query = (query or "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]
    if not query or not fields:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        return _full_text_search(queryset, query, fields)
    return _word_search(queryset, query, fields)


def _full_text_search(queryset: QuerySet, query: str, fields: Sequence[str]) -> QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    search_query = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    ordering = _ordering(queryset)
    return (
        queryset.alias(
            search_vector=_stored_document(queryset, fields)
            or SearchVector(*fields, config=SEARCH_CONFIG)
        )
        .filter(search_vector=search_query)
        .annotate(search_rank=SearchRank(F("search_vector"), search_query))
        .order_by("-search_rank", *ordering)
    )


def _stored_document(queryset: QuerySet, fields: Sequence[str]):
    """The model's stored `search_document` column when it holds these fields' words.

    Named by its table: the queryset must run as the main query, not nested in another.
    """
    from django.contrib.postgres.search import SearchVectorField

    meta = queryset.model._meta
    if STORED_DOCUMENTS.get((meta.app_label, meta.model_name)) != tuple(fields):
        return None
    quote = connections[queryset.db].ops.quote_name
    column = f"{quote(meta.db_table)}.{quote(STORED_DOCUMENT_COLUMN)}"
    return RawSQL(column, [], output_field=SearchVectorField())  # noqa: S611 (no input)


def _ordering(queryset: QuerySet) -> tuple:
    if queryset.query.order_by:
        return tuple(queryset.query.order_by)
    if queryset.query.default_ordering:
        return tuple(queryset.model._meta.ordering)
    return ()


def normalise(text: str) -> str:
    """Lower case, without accents, ligatures spelt out: « Œuvre à l’École » → "oeuvre a l’ecole"."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def query_words(query: str) -> list[str]:
    """The words the fallback looks for: normalised, without stop words unless only those."""
    words = [
        word for word in re.findall(r"\w+", normalise(query)) if len(word) > 1 or word.isdigit()
    ]
    words = list(dict.fromkeys(words))  # once each, in order
    meaningful = [word for word in words if word not in STOP_WORDS]
    return (meaningful or words)[:MAX_WORDS]


def word_pattern(word: str) -> str:
    """A regular expression matching `word` whatever the accents and case of the stored text."""
    parts, index = [], 0
    while index < len(word):
        pair = word[index : index + 2]
        if pair in _LIGATURES:
            parts.append(_LIGATURES[pair])
            index += 2
            continue
        char = word[index]
        variants = _LETTER_VARIANTS.get(char)
        parts.append(f"[{variants}]" if variants else re.escape(char))
        index += 1
    return "".join(parts)


def _word_search(queryset: QuerySet, query: str, fields: Sequence[str]) -> QuerySet:
    words = query_words(query)
    if not words:
        return queryset.none()
    condition = Q()
    for word in words:
        pattern = word_pattern(word)
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__iregex": pattern})
        condition &= any_field
    # Through the primary key, so that a path across a relation never repeats a row.
    matching = queryset.model._base_manager.filter(condition).values("pk")
    return queryset.filter(pk__in=matching)
