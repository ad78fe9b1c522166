"""The beta.gouv.fr importer: small fixtures in the same format, then the real export."""

import datetime
import shutil
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command

import pytest

from incubator.enums import (
    AccessibilityCompliance,
    FailureReason,
    FailureScope,
    FundingKind,
    MilestoneStatus,
    Phase,
    TerritoryKind,
    TransitionKind,
    Visibility,
)
from incubator.importers.betagouv import (
    CREATED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    Event,
    Note,
    clean_email,
    clean_url,
    import_betagouv,
    parse_date,
    plan_phases,
    territory_kind,
)
from incubator.models import (
    Failure,
    Funding,
    Incubator,
    Lesson,
    Milestone,
    PhaseTransition,
    Sponsorship,
    Startup,
    Territory,
    Theme,
)

pytestmark = pytest.mark.django_db

D = datetime.date
FIXTURES = Path(__file__).resolve().parent / "betagouv_fixtures"
# tests/incubator/ → tests/ → the repository → its parent, where shared/ sits.
REAL_EXPORT = Path(__file__).resolve().parents[3] / "shared" / "data" / "betagouv"
IMPORTED_MODELS = (
    Territory,
    Incubator,
    Startup,
    Startup.history.model,
    PhaseTransition,
    Sponsorship,
    Theme,
    Milestone,
    Funding,
    Failure,
)


def row_counts():
    return {model.__name__: model.objects.count() for model in IMPORTED_MODELS}


def history(slug):
    return [
        (t.kind, t.from_phase, t.to_phase, t.date)
        for t in Startup.objects.get(slug=slug).transitions.order_by("date", "created", "pk")
    ]


def notes_for(notes, name):
    return [note.message for note in notes if note.path == f"_startups/{name}.md"]


@pytest.fixture
def report():
    return import_betagouv(FIXTURES)


# --- Pure helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2021, 3, 4), D(2021, 3, 4)),
        (datetime.datetime(2021, 3, 4, 10, 30), D(2021, 3, 4)),  # noqa: DTZ001 - YAML gives naive
        ("2021-03-04", D(2021, 3, 4)),
        (" 04/03/2021 ", D(2021, 3, 4)),
        ("2021-02-30", None),
        ("bientôt", None),
        (None, None),
        (2021, None),
    ],
)
def test_dates_come_from_yaml_objects_or_common_strings(value, expected):
    assert parse_date(value) == expected


def test_phase_plan_sorts_by_date_then_lifecycle_and_says_so():
    plan = plan_phases(
        [
            {"name": "construction", "start": D(2020, 1, 1)},
            {"name": "investigation", "start": D(2020, 1, 1)},
            {"name": "abandon", "start": D(2021, 1, 1)},
        ],
        today=D(2025, 1, 1),
    )
    assert plan.phases == [
        (Phase.INVESTIGATION, D(2020, 1, 1)),
        (Phase.CONSTRUCTION, D(2020, 1, 1)),
        (Phase.ABANDONED, D(2021, 1, 1)),
    ]
    assert plan.repairs == ["phases du même jour remises dans l’ordre du cycle de vie."]


def test_phase_plan_turns_event_names_into_events_and_drops_unusable_phases():
    plan = plan_phases(
        [
            {"name": "investigation", "start": D(2020, 1, 1)},
            {"name": "product_launch", "start": D(2020, 5, 1)},
            {"name": "construction"},
            {"name": "pivot", "start": D(2020, 6, 1)},
            {"name": "acceleration", "start": D(2030, 1, 1)},
            "pas un dictionnaire",
        ],
        today=D(2025, 1, 1),
    )
    assert plan.phases == [(Phase.INVESTIGATION, D(2020, 1, 1))]
    assert plan.events == [Event("product_launch", D(2020, 5, 1))]
    assert len(plan.warnings) == 4  # no date, unknown name, future, unreadable entry
    assert any("futur" in warning for warning in plan.warnings)


def test_phase_plan_keeps_a_phase_after_a_terminal_one_as_a_reopening():
    plan = plan_phases(
        [
            {"name": "abandon-investigation", "start": D(2024, 6, 18)},
            {"name": "investigation", "start": D(2025, 2, 20)},
        ],
        today=D(2026, 1, 1),
    )
    assert plan.phases == [
        (Phase.INVESTIGATION, D(2024, 6, 18)),
        (Phase.ABANDONED, D(2024, 6, 18)),
        (Phase.INVESTIGATION, D(2025, 2, 20)),
    ]
    assert len(plan.repairs) == 2


@pytest.mark.parametrize(
    ("org_type", "name", "kind"),
    [
        ("administration-centrale", "DINUM", TerritoryKind.STATE),
        ("service-deconcentre", "Préfecture de l'Ain", TerritoryKind.STATE),
        ("operateur ", "Pôle emploi", TerritoryKind.OPERATOR),
        ("securite-sociale", "ACOSS", TerritoryKind.OPERATOR),
        ("collectivite-territoriale", "Département du Var", TerritoryKind.DEPARTEMENT),
        ("collectivite-territoriale", "Région Bretagne", TerritoryKind.REGION),
        ("collectivite-territoriale", "Ville de Lyon", TerritoryKind.COMMUNE),
        ("collectivite-territoriale", "Métropole de Lyon", TerritoryKind.EPCI),
        ("collectivite-territoriale", "Chambre de Métiers", TerritoryKind.OTHER),
        ("autre", "Banque de France", TerritoryKind.OTHER),
        (None, "Sans type", TerritoryKind.OTHER),
    ],
)
def test_organisation_types_map_to_territory_kinds(org_type, name, kind):
    assert territory_kind(org_type, name) == kind


def test_urls_and_emails_are_cleaned_or_refused():
    assert clean_url("https:&#x2F;&#x2F;exemple.fr&#x2F;a") == "https://exemple.fr/a"
    assert clean_url(" https://exemple.fr ") == "https://exemple.fr"
    assert clean_url(None) == clean_url(" ") == ""
    assert clean_url("ftp://exemple.fr") is None
    assert clean_url("pas une adresse") is None
    assert clean_email("mailto:a@exemple.fr?subject=Bonjour") == "a@exemple.fr"
    assert clean_email("personne") is None


# --- Importing the fixtures ------------------------------------------------------------------


def test_startups_are_created_public_with_their_profile(report):
    assert report.get("startups", CREATED) == 6
    startup = Startup.objects.get(source_id="startups/normale")
    assert startup.slug == "normale"
    assert startup.name == "Normale"
    assert startup.pitch == "Aider les familles à trouver une place en crèche"
    assert startup.description.startswith("## Le problème\n\nTrouver une place")
    assert "<strong>réunit</strong>" in startup.description  # markdown kept as text
    assert startup.visibility == Visibility.PUBLIC
    assert startup.website == "https://normale.beta.gouv.fr"
    assert startup.repository == "https://github.com/betagouv/normale"
    assert startup.stats_url == ""
    assert "lien « stats_url » invalide ignoré : « pas une adresse »." in notes_for(
        report.warnings, "normale"
    )
    assert startup.accessibility_status == AccessibilityCompliance.PARTIAL
    assert startup.incubator.source_id == "incubators/exemple"
    assert sorted(startup.themes.values_list("name", flat=True)) == ["Santé", "Social"]
    assert Startup.objects.get(slug="desordre").website == "https://desordre.beta.gouv.fr"


def test_phase_history_is_written_in_order_through_the_services(report):
    assert history("normale") == [
        (TransitionKind.START, "", Phase.INVESTIGATION, D(2021, 1, 4)),
        (TransitionKind.ADVANCE, Phase.INVESTIGATION, Phase.CONSTRUCTION, D(2021, 9, 1)),
        (TransitionKind.ADVANCE, Phase.CONSTRUCTION, Phase.ACCELERATION, D(2022, 6, 1)),
    ]
    startup = Startup.objects.get(slug="normale")
    assert (startup.phase, startup.phase_since) == (Phase.ACCELERATION, D(2022, 6, 1))
    assert set(startup.transitions.values_list("rationale", flat=True)) == {
        "Importé de beta.gouv.fr"
    }
    assert not startup.transitions.exclude(decided_by=None).exists()


def test_unordered_phases_are_repaired_and_the_repair_reported(report):
    assert [to_phase for _kind, _from, to_phase, _date in history("desordre")] == [
        Phase.INVESTIGATION,
        Phase.CONSTRUCTION,
        Phase.ACCELERATION,
    ]
    assert notes_for(report.repairs, "desordre") == [
        "phases remises dans l’ordre chronologique.",
        "phase « construction » du 2021-01-15 en double : retirée.",
    ]


def test_an_abandoned_startup_gets_a_failure_to_document_before_its_stop(report):
    startup = Startup.objects.get(slug="abandonnee")
    assert startup.phase == Phase.ABANDONED
    assert history("abandonnee")[-1] == (
        TransitionKind.ABANDON,
        Phase.INVESTIGATION,
        Phase.ABANDONED,
        D(2020, 9, 15),
    )
    (failure,) = startup.failures.all()
    assert (failure.scope, failure.reason, failure.occurred_on, failure.author) == (
        FailureScope.STARTUP,
        FailureReason.TO_DOCUMENT,
        D(2020, 9, 15),
        None,
    )
    assert not Lesson.objects.exists()
    assert Failure.objects.count() == 1  # only the stopped startup


def test_a_history_starting_terminal_gets_an_investigation_first(report):
    assert history("terminale") == [
        (TransitionKind.START, "", Phase.INVESTIGATION, D(2022, 2, 1)),
        (TransitionKind.ADVANCE, Phase.INVESTIGATION, Phase.OPERATED, D(2022, 2, 1)),
    ]
    assert notes_for(report.repairs, "terminale") == [
        "l’historique commence par une phase terminale : investigation ajoutée le même jour."
    ]


def test_events_become_milestones_and_never_phases(report):
    startup = Startup.objects.get(slug="evenements")
    assert startup.phase == Phase.ACCELERATION
    assert "committee" not in {to for _k, _f, to, _d in history("evenements")}
    milestones = {
        m.source_id: (m.title, m.description, m.status, m.due_date, m.achieved_on)
        for m in startup.milestones.all()
    }
    achieved = MilestoneStatus.ACHIEVED
    assert milestones == {
        "evenements:committee:2020-01-10": (
            "Comité d’investissement",
            "",
            achieved,
            D(2020, 1, 10),
            D(2020, 1, 10),
        ),
        "evenements:product_launch:2020-06-01": (
            "Lancement du produit",
            "Ouverture aux premiers usagers",
            achieved,
            D(2020, 6, 1),
            D(2020, 6, 1),
        ),
        "evenements:fast:2021-03-01": (
            "Lauréat du fonds d’accélération",
            "",
            achieved,
            D(2021, 3, 1),
            D(2021, 3, 1),
        ),
        "evenements:other:2021-05-01": (
            "Prix de l'innovation publique",
            "",
            achieved,
            D(2021, 5, 1),
            D(2021, 5, 1),
        ),
        "evenements:national_impact:2099-01-01": (
            "Impact national",
            "",
            MilestoneStatus.PLANNED,
            D(2099, 1, 1),
            None,
        ),
        # Listed among the phases in the file.
        "evenements:committee:2020-12-01": (
            "Comité d’investissement",
            "",
            achieved,
            D(2020, 12, 1),
            D(2020, 12, 1),
        ),
    }
    assert notes_for(report.repairs, "evenements") == [
        "« committee » figurait parmi les phases : importé comme jalon.",
        "événement « committee » du 2020-01-10 en double : retiré.",
    ]


def test_fast_becomes_an_acceleration_fund_dated_by_its_event(report):
    (funding,) = Funding.objects.all()
    assert funding.startup.slug == "evenements"
    assert (funding.kind, funding.amount_cents, funding.start_date, funding.note) == (
        FundingKind.ACCELERATION_FUND,
        23_000_000,
        D(2021, 3, 1),
        "Promotion 12",
    )
    assert funding.funder_name == "Fonds d’accélération des startups d’État (FAST)"


def test_sponsors_become_sponsorships_and_unknown_ones_are_reported(report):
    def sponsors(slug):
        return set(
            Sponsorship.objects.filter(startup__slug=slug).values_list(
                "territory__source_id", flat=True
            )
        )

    assert sponsors("normale") == {"organisations/dinum", "organisations/ville-exemple"}
    assert sponsors("sponsor-inconnu") == {"organisations/dinum"}
    assert "sponsor inconnu « /organisations/nexiste-pas » ignoré." in notes_for(
        report.warnings, "sponsor-inconnu"
    )


def test_an_unknown_incubator_becomes_a_reported_placeholder(report):
    placeholder = Incubator.objects.get(source_id="incubators/incubateur-fantome")
    assert placeholder.name == "incubateur-fantome"
    assert Startup.objects.get(slug="sponsor-inconnu").incubator == placeholder
    assert report.get("incubators", CREATED) == 2
    assert (
        "incubateur inconnu « incubateur-fantome » : fiche provisoire créée, à compléter."
        in notes_for(report.warnings, "sponsor-inconnu")
    )


def test_organisations_become_territories(report):
    kinds = dict(Territory.objects.values_list("source_id", "kind"))
    assert kinds == {
        "organisations/dinum": TerritoryKind.STATE,
        "organisations/ville-exemple": TerritoryKind.COMMUNE,
        "organisations/departement-exemple": TerritoryKind.DEPARTEMENT,
        "organisations/aed": TerritoryKind.OPERATOR,  # type "operateur " with a space
    }
    dinum = Territory.objects.get(source_id="organisations/dinum")
    assert (dinum.name, dinum.acronym, dinum.slug) == (
        "Direction interministérielle du numérique",
        "DINUM",
        "dinum",
    )


def test_incubators_are_imported_with_their_owner_and_plain_description(report):
    incubator = Incubator.objects.get(source_id="incubators/exemple")
    assert incubator.name == "L'Incubateur d'exemple"
    assert incubator.description == (
        "Cet incubateur accompagne les projets territoriaux & les communs.\n\n"
        "L'incubateur d'exemple aide les **collectivités**."
    )
    assert incubator.contact_email == "contact@incubateur.exemple.fr"
    assert incubator.website == "https://incubateur.exemple.fr"
    assert incubator.owner.source_id == "organisations/dinum"


def test_broken_files_are_skipped_with_a_reason(report):
    skipped = {note.path: note.message for note in report.skipped}
    assert set(skipped) == {
        "_organisations/Préfecture",
        "_organisations/sans-nom.md",
        "_organisations/sous-dossier",
        "_startups/latin1.md",
        "_startups/notes.txt",
        "_startups/sans-entete.md",
        "_startups/sans-phase.md",
        "_startups/sans-titre.md",
        "_startups/yaml-casse.md",
    }
    assert skipped["_startups/notes.txt"] == "ce n’est pas un fichier .md."
    assert skipped["_startups/sans-titre.md"] == "titre manquant (champ « title »)."
    assert skipped["_startups/yaml-casse.md"].startswith("en-tête YAML invalide (ligne ")
    assert skipped["_startups/latin1.md"].startswith("encodage illisible")
    assert skipped["_startups/sans-entete.md"].startswith("pas d’en-tête YAML")
    assert skipped["_startups/sans-phase.md"].startswith("aucune phase datée.")
    assert skipped["_organisations/sans-nom.md"] == "nom manquant (champ « name »)."
    assert report.get("startups", SKIPPED) == 6
    assert report.get("organisations", SKIPPED) == 3
    assert not Startup.objects.filter(name__in=["YAML cassé", "Sans phase datée"]).exists()


def test_a_second_run_changes_nothing(report):
    before = row_counts()
    again = import_betagouv(FIXTURES)
    assert row_counts() == before
    assert again.created_total == 0
    for kind, unchanged in (("organisations", 4), ("incubators", 1), ("startups", 6)):
        assert again.get(kind, UNCHANGED) == unchanged
        assert again.get(kind, UPDATED) == 0
    assert again.get("milestones", UPDATED) == again.get("fundings", UPDATED) == 0
    assert again.skipped == report.skipped


def test_a_changed_source_updates_the_profile_and_appends_phases(tmp_path):
    source = tmp_path / "betagouv"
    shutil.copytree(FIXTURES, source)
    import_betagouv(source)
    normale = source / "_startups" / "normale.md"
    normale.write_text(
        normale.read_text(encoding="utf-8")
        .replace("trouver une place en crèche", "trouver une crèche près de chez elles")
        .replace(
            "  - name: acceleration\n    start: 2022-06-01\n",
            "  - name: acceleration\n    start: 2022-06-01\n"
            "  - name: consolidation\n    start: 2024-01-08\n",
        ),
        encoding="utf-8",
    )
    before = row_counts()

    report = import_betagouv(source)

    startup = Startup.objects.get(slug="normale")
    assert startup.pitch == "Aider les familles à trouver une crèche près de chez elles"
    assert (startup.phase, startup.phase_since) == (Phase.CONSOLIDATION, D(2024, 1, 8))
    assert history("normale")[-1] == (
        TransitionKind.ADVANCE,
        Phase.ACCELERATION,
        Phase.CONSOLIDATION,
        D(2024, 1, 8),
    )
    assert report.get("startups", UPDATED) == 1
    assert report.get("startups", UNCHANGED) == 5
    assert report.get("transitions", CREATED) == 1
    assert row_counts()["PhaseTransition"] == before["PhaseTransition"] + 1


def test_a_rewritten_past_is_reported_and_the_rest_still_updated(tmp_path):
    source = tmp_path / "betagouv"
    shutil.copytree(FIXTURES, source)
    import_betagouv(source)
    desordre = source / "_startups" / "desordre.md"
    desordre.write_text(
        desordre.read_text(encoding="utf-8")
        .replace("'2020-02-01'", "2019-02-01")
        .replace("Des phases publiées", "Des phases réécrites"),
        encoding="utf-8",
    )

    report = import_betagouv(source)

    startup = Startup.objects.get(slug="desordre")
    assert startup.pitch == "Des phases réécrites dans le désordre"
    assert history("desordre")[0][3] == D(2020, 2, 1)  # our history is never rewritten
    assert notes_for(report.warnings, "desordre") == [
        "historique des phases non mis à jour : L’historique des phases déjà importé "
        "diffère de la source : il n’est pas réécrit."
    ]
    assert report.get("startups", UPDATED) == 1


# --- The command ---------------------------------------------------------------------------


def test_the_command_prints_a_french_summary_with_the_credit():
    out = StringIO()
    call_command("import_betagouv", str(FIXTURES), stdout=out)
    text = out.getvalue()
    assert "Startups — créées : 6, mises à jour : 0, inchangées : 0, ignorées : 6." in text
    assert "Organisations — créées : 4, mises à jour : 0, inchangées : 0, ignorées : 3." in text
    assert "Fichiers ignorés (9) :" in text
    assert "  - _startups/notes.txt : ce n’est pas un fichier .md." in text
    assert "Réparations (5) :" in text
    assert text.rstrip().endswith(
        "Source : beta.gouv.fr (contenus sous licence CC BY-NC-SA 4.0), "
        "commit 0123456789abcdef0123456789abcdef01234567"
    )


def test_a_dry_run_reports_everything_and_writes_nothing():
    out = StringIO()
    call_command("import_betagouv", str(FIXTURES), "--dry-run", stdout=out)
    assert out.getvalue().startswith("Simulation : rien n’a été enregistré.")
    assert "Startups — créées : 6," in out.getvalue()
    assert set(row_counts().values()) == {0}


def test_a_missing_folder_is_refused_without_writing(tmp_path):
    with pytest.raises(CommandError, match="Dossier introuvable"):
        call_command("import_betagouv", str(tmp_path / "absent"))
    (tmp_path / "_organisations").mkdir()
    shutil.copy(FIXTURES / "_organisations" / "dinum.md", tmp_path / "_organisations")
    with pytest.raises(CommandError, match="« _startups »"):
        call_command("import_betagouv", str(tmp_path))
    assert set(row_counts().values()) == {0}


def test_the_credit_has_no_commit_when_the_export_does_not_name_one(tmp_path):
    shutil.copytree(FIXTURES / "_startups", tmp_path / "_startups")
    report = import_betagouv(tmp_path)
    assert report.credit() == "Source : beta.gouv.fr (contenus sous licence CC BY-NC-SA 4.0)"
    # Without the incubators folder, every startup gets a placeholder incubator.
    assert report.get("startups", CREATED) == 6
    assert Note("_startups/normale.md", "sponsor inconnu « /organisations/dinum » ignoré.") in (
        report.warnings
    )


# --- The real export -------------------------------------------------------------------------


def test_the_real_betagouv_export_imports_and_reimports_cleanly():
    if not (REAL_EXPORT / "_startups").is_dir():
        pytest.skip(f"export beta.gouv.fr absent ({REAL_EXPORT})")
    startup_files = list((REAL_EXPORT / "_startups").glob("*.md"))

    report = import_betagouv(REAL_EXPORT)

    assert report.get("startups", CREATED) >= 0.98 * len(startup_files)
    assert Startup.objects.filter(source_id__startswith="startups/").count() == report.get(
        "startups", CREATED
    )
    assert all(note.message.strip() for note in report.skipped)
    assert not [note for note in report.skipped if "erreur inattendue" in note.message]
    assert len(report.skipped) == sum(report.get(kind, SKIPPED) for kind in report.counts)
    # Every stopped startup has its failure sheet, every startup a consistent phase.
    for startup in Startup.objects.prefetch_related("transitions"):
        last = list(startup.transitions.all())[-1]
        assert (startup.phase, startup.phase_since) == (last.to_phase, last.date)
    assert not Startup.objects.filter(phase=Phase.ABANDONED, failures__isnull=True).exists()
    before = row_counts()

    again = import_betagouv(REAL_EXPORT)

    assert again.created_total == 0
    assert again.get("startups", UPDATED) == 0
    assert row_counts() == before
