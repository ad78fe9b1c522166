"""The beta.gouv.fr importer under generated files: a valid record or a French reason, never more.

Hypothesis writes content folders in the format of `betagouv_fixtures`:
front matter with fuzzed values (accents, emoji, control characters, huge
strings, numbers and lists where text is expected), missing keys, odd dates
(0001-01-01, 9999-12-31, 31 February), unknown phases and events, broken
YAML, files that are not UTF-8. The documented behaviour is checked on each
folder: the import never raises; a file it cannot use is skipped with a
French reason (never an "erreur inattendue", the importer's catch-all for its
own bugs); each startup is written whole or not at all (one transaction per
file); and a second run over the same folder creates nothing.
"""

import datetime
import tempfile
from pathlib import Path

from django.db import transaction

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incubator.importers.betagouv import CREATED, PHASE_NAMES, import_betagouv
from incubator.models import Funding, Milestone, PhaseTransition, Sponsorship, Startup

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 1)
UNEXPECTED = "erreur inattendue"  # the importer's wording for an exception it did not foresee

# --- Generated values ----------------------------------------------------------------------

odd_text = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "Élodie à Saint-Étienne",
            "🚀 Démarche simplifiée 👩‍💻",
            "a\x00b",
            "\x1b[31m\t\x7f",
            "<b>gras</b> &amp; &#x2F;",
            "null",
            "~",
            "x" * 5000,
        ]
    ),
    st.text(max_size=200),
)
odd_date = st.one_of(
    st.sampled_from(
        ["0001-01-01", "9999-12-31", "2024-02-30", "31/12/2023", "2023-13-01", "00/00/0000", ""]
    ),
    st.dates(),
    st.datetimes(),
    st.dates(min_value=datetime.date(2015, 1, 1), max_value=TODAY),
)
scalar = st.one_of(
    odd_text,
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    odd_date,
)
anything = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3), max_leaves=5)
phase_name = st.one_of(
    st.sampled_from(sorted(PHASE_NAMES)),
    st.sampled_from(["committee", "fast", "end", "termine", "Construction", ""]),
    odd_text,
)
phase_item = st.one_of(
    st.fixed_dictionaries(
        {"name": phase_name},
        optional={"start": odd_date, "end": odd_date, "date": odd_date, "comment": odd_text},
    ),
    anything,
)
reference = st.one_of(
    st.sampled_from(["/incubators/exemple", "exemple", "/organisations/dinum", "dinum", "inconnu"]),
    anything,
)
real_phases = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(sorted(PHASE_NAMES)),
            "start": st.dates(min_value=datetime.date(2015, 1, 1), max_value=TODAY),
        },
        optional={"end": odd_date, "comment": odd_text},
    ),
    min_size=1,
    max_size=5,
)
# A startup as beta.gouv.fr writes it (phases in any order, duplicates, reopenings)…
plausible_startup = {
    "title": st.sampled_from(["Démarches faciles", "Cantine 🥕 locale", "x" * 300]),
    "mission": st.sampled_from(["Aider les familles.", "m" * 400]),
    "incubator": st.sampled_from(["/incubators/exemple", "exemple", "/incubators/inconnu"]),
    "phases": real_phases,
    "events": st.lists(
        st.fixed_dictionaries(
            {"name": st.sampled_from(["committee", "fast", "end", "other"]), "date": odd_date},
            optional={"comment": odd_text},
        ),
        max_size=3,
    ),
    "sponsors": st.lists(
        st.sampled_from(["/organisations/dinum", "/organisations/ville-exemple", "inconnu"]),
        max_size=3,
    ),
    "thematiques": st.lists(odd_text, max_size=3),
    "fast": st.fixed_dictionaries(
        {
            "montant": st.one_of(
                st.sampled_from(["150000", "1e30", "-5", "NaN", "1,5", "9" * 40]), scalar
            ),
            "promotion": anything,
        }
    ),
    "link": st.sampled_from(["https://exemple.fr", "javascript:x", "exemple.fr"]),
    "repository": st.just("https://github.com/betagouv/exemple"),
    "accessibility_status": st.sampled_from(["totalement conforme", "inconnue", ""]),
    "contact": st.sampled_from(["contact@exemple.fr", "mailto:x?subject=1", "pas un mail"]),
}
# …with up to three of its fields replaced by anything at all, or missing.
startup_meta = st.sets(st.sampled_from(sorted(plausible_startup)), max_size=3).flatmap(
    lambda fuzzed: st.fixed_dictionaries(
        {key: value for key, value in plausible_startup.items() if key not in fuzzed},
        optional=dict.fromkeys(fuzzed, anything),
    )
)
organisation_meta = st.fixed_dictionaries(
    {"name": st.one_of(st.just("Ville d’Exemple"), anything)},
    optional={
        "acronym": anything,
        "type": st.one_of(st.just("collectivite-territoriale"), anything),
    },
)
incubator_meta = st.fixed_dictionaries(
    {"title": st.one_of(st.just("Incubateur d’exemple"), anything)},
    optional={
        "owner": reference,
        "website": anything,
        "contact": anything,
        "short_description": anything,
    },
)


def markdown(meta_strategy) -> st.SearchStrategy:
    """A Jekyll file's bytes: well-formed front matter, or broken in one of the usual ways."""
    well_formed = st.tuples(meta_strategy, odd_text).map(
        lambda pair: (
            "---\n" + yaml.safe_dump(pair[0], allow_unicode=True) + "---\n" + pair[1]
        ).encode()
    )
    broken = st.one_of(
        st.sampled_from(
            [
                b"",
                b"---\n",
                b"---\ntitle: [non ferm\xc3\xa9\n---\n",
                b"---\ntitle: a: b: c\n---\n",
                b"---\n- une\n- liste\n---\n",
                b"---\ntitle: Caf\xe9\n---\n",  # Latin-1
                b"\xef\xbb\xbf---\r\ntitle: BOM et CRLF\r\nincubator: exemple\r\n---\r\n",
                b"title: sans tirets\n",
            ]
        ),
        st.binary(max_size=300),
        odd_text.map(lambda text: f"---\n{text}\n---\n".encode(errors="surrogatepass")),
    )
    return st.one_of(well_formed, well_formed, broken)


def files(meta_strategy, names) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(names), markdown(meta_strategy), max_size=len(names))


folder = st.fixed_dictionaries(
    {
        "_organisations": files(organisation_meta, ["dinum", "ville-exemple"]),
        "_incubators": files(incubator_meta, ["exemple"]),
        "_startups": files(startup_meta, ["demarches", "cantine", "bus.a.la.demande"]),
    }
)


def write_folder(root: Path, contents: dict) -> None:
    for collection, entries in contents.items():
        (root / collection).mkdir()
        for name, data in entries.items():
            (root / collection / f"{name}.md").write_bytes(data)


# --- Checks --------------------------------------------------------------------------------


def assert_whole(startup: Startup) -> None:
    """A startup the import wrote: complete, and consistent with its phase history."""
    transitions = list(startup.transitions.order_by("date", "created", "pk"))
    assert transitions, startup.source_id
    assert startup.phase == transitions[-1].to_phase
    assert startup.incubator_id is not None
    startup.full_clean(exclude=["slug"])  # every value fits its column and its rules


def related_rows() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Startup, PhaseTransition, Milestone, Sponsorship, Funding)
    }


@given(contents=folder)
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_each_file_gives_a_whole_record_or_a_french_reason(contents):
    with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
        root = Path(tmp)
        write_folder(root, contents)
        report = import_betagouv(root, today=TODAY)  # never raises

        unexpected = [str(note) for note in report.skipped if UNEXPECTED in note.message]
        assert not unexpected, unexpected
        skipped = {note.path for note in report.skipped}
        for name in contents["_startups"]:
            label, source_id = f"_startups/{name}.md", f"startups/{name}"
            written = Startup.objects.filter(source_id=source_id).first()
            if label in skipped:
                assert written is None, f"{label} ignoré mais en partie écrit"
            else:
                assert written is not None, label
                assert_whole(written)

        before = related_rows()
        again = import_betagouv(root, today=TODAY)
        assert again.created_total == 0, [
            (kind, counter[CREATED]) for kind, counter in again.counts.items() if counter[CREATED]
        ]
        assert related_rows() == before
        transaction.set_rollback(True)


# --- Regressions found by the fuzzing above -------------------------------------------------


def import_one_startup(tmp_path, front_matter: str, body: str = "") -> tuple:
    (tmp_path / "_startups").mkdir()
    (tmp_path / "_startups" / "demarches.md").write_text(
        "---\nincubator: exemple\nphases:\n  - name: investigation\n    start: 2021-01-04\n"
        + front_matter
        + "---\n"
        + body,
        encoding="utf-8",
    )
    report = import_betagouv(tmp_path, today=TODAY)
    return report, Startup.objects.filter(source_id="startups/demarches").first()


@pytest.mark.parametrize("amount", ["1e30", "1e999999", "92233720368547758.08"])
def test_a_fast_amount_too_large_to_store_is_ignored_with_a_warning(tmp_path, amount):
    # It was an "erreur inattendue" (integer overflow) and the whole startup was skipped.
    report, startup = import_one_startup(
        tmp_path, f"title: Démarches\nfast:\n  montant: {amount}\n  promotion: 2023\n"
    )
    assert startup is not None and not startup.fundings.exists()
    assert "financement FAST sans montant valide : ignoré." in [
        note.message for note in report.warnings
    ]


def test_nul_characters_are_dropped_rather_than_failing_on_postgresql(tmp_path):
    # YAML's "\0" escape and a raw NUL in the body used to fail the file on PostgreSQL.
    report, startup = import_one_startup(
        tmp_path, 'title: "Dé\\0marches"\nmission: "A\\0B"\n', body="Le\x00 problème"
    )
    assert not report.skipped
    assert (startup.name, startup.pitch, startup.description) == ("Démarches", "AB", "Le problème")
