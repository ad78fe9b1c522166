"""A beta.gouv.fr file whose YAML header is broken: skipped with a French reason that says
where (line of the file, column) and why, and nothing of it is written."""

from pathlib import Path

import pytest

from incubator.importers.betagouv import SKIPPED, import_betagouv
from incubator.models import Incubator, Startup

pytestmark = pytest.mark.django_db

INCUBATOR = "---\ntitle: Incubateur d’exemple\n---\nIl aide les collectivités.\n"


def import_startup(root: Path, header: str):
    """Import one incubator and one startup whose front matter is `header`."""
    (root / "_incubators").mkdir(parents=True)
    (root / "_incubators" / "exemple.md").write_text(INCUBATOR, encoding="utf-8")
    (root / "_startups").mkdir()
    (root / "_startups" / "casse.md").write_text(f"---\n{header}---\nLe problème.\n", "utf-8")
    return import_betagouv(root)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (
            # Line 4 of the file (after "---" and the title), where the quote opens.
            'title: Cassée\nincubator: exemple\nmission: "jamais fermée\nphases: []\n',
            "en-tête YAML invalide (ligne 4, colonne 10) : "
            "un guillemet ou un crochet n’est jamais fermé.",
        ),
        (
            "title: Cassée\nmission: Aider: les familles\n",
            "en-tête YAML invalide (ligne 3, colonne 15) : "
            "deux-points inattendu : mettez la valeur entre guillemets.",
        ),
        (
            "title: Cassée\nphases:\n\t- name: investigation\n",
            "en-tête YAML invalide (ligne 4, colonne 1) : caractère interdit en début de valeur "
            "(tabulation, @, `, %…) : indentez avec des espaces ou mettez la valeur entre "
            "guillemets.",
        ),
        (
            "title: Cassée\nphases:\n  - name: investigation\n incubator: exemple\n",
            "en-tête YAML invalide (ligne 5, colonne 2) : indentation incohérente.",
        ),
        (
            "title: Cassée\nmission: !!python/object:os.system x\n",
            "en-tête YAML invalide (ligne 3, colonne 10) : "
            "étiquette YAML (!…) non prise en charge.",
        ),
    ],
)
def test_a_broken_yaml_header_is_skipped_with_a_french_reason(tmp_path, header, reason):
    report = import_startup(tmp_path, header)

    [note] = report.skipped
    assert note.path == "_startups/casse.md" and note.message == reason
    assert str(note) == f"_startups/casse.md : {reason}"
    assert report.get("startups", SKIPPED) == 1
    assert not Startup.objects.exists()
    # The valid file beside it is imported all the same.
    assert Incubator.objects.filter(name="Incubateur d’exemple").exists()


def test_a_reason_without_a_position_still_says_why_in_french(tmp_path):
    report = import_startup(tmp_path, "title: Cassée\nmission: \x01\n")

    [note] = report.skipped
    assert note.message == "en-tête YAML invalide : caractère de contrôle interdit."
    assert not Startup.objects.exists()
