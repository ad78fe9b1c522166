"""Import the beta.gouv.fr content collections (Jekyll markdown with YAML front matter).

Reading is pure: a file becomes a dict and a body, a list of phases becomes
an ordered plan with the repairs it needed. Writing goes through
`incubator.services` for startups, their phase history and their failures;
reference rows with no service yet (territories, incubators, themes,
sponsorships, milestones, fundings) are written with the ORM.

Every file stands alone: a broken one is reported with its reason, never
fatal, and each startup is written in its own transaction. Rows are looked up
by `source_id`, so a second run over the same folder changes nothing.
"""

import dataclasses
import datetime
import html
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import yaml

from incubator import services
from incubator.enums import (
    PHASE_ORDER,
    TERMINAL_PHASES,
    AccessibilityCompliance,
    FailureReason,
    FailureScope,
    FundingKind,
    MilestoneStatus,
    Phase,
    TerritoryKind,
)
from incubator.exceptions import IncubatorError
from incubator.models import (
    Funding,
    Incubator,
    Milestone,
    Sponsorship,
    Startup,
    Territory,
    Theme,
)

# Stored in the database, so plain French data rather than translated UI text.
RATIONALE = "Importé de beta.gouv.fr"
FAST_FUNDER = "Fonds d’accélération des startups d’État (FAST)"
EVENT_LABELS = {
    "committee": "Comité d’investissement",
    "product_launch": "Lancement du produit",
    "national_impact": "Impact national",
    "end": "Fin de la startup",
    "fast": "Lauréat du fonds d’accélération",
    "eig": "Programme EIG",
    "other": "",  # the comment says what it was
}
DEFAULT_EVENT_TITLE = "Événement"
# In euros, what a 64-bit column of cents holds (SQLite, PostgreSQL): more is a typo.
MAX_AMOUNT = Decimal(2**63 - 1) / 100

PHASE_NAMES = {
    "investigation": Phase.INVESTIGATION,
    "construction": Phase.CONSTRUCTION,
    "acceleration": Phase.ACCELERATION,
    "consolidation": Phase.CONSOLIDATION,
    "transfere": Phase.TRANSFERRED,
    "opere": Phase.OPERATED,
    "abandon": Phase.ABANDONED,
    "abandon-investigation": Phase.ABANDONED,
}
# Tie-break for phases starting the same day: the lifecycle order.
PHASE_RANK = {
    phase: rank
    for rank, phase in enumerate((*PHASE_ORDER, Phase.TRANSFERRED, Phase.OPERATED, Phase.ABANDONED))
}

ORGANISATION_KINDS = {
    "administration-centrale": TerritoryKind.STATE,
    "service-deconcentre": TerritoryKind.STATE,
    "operateur": TerritoryKind.OPERATOR,
    "securite-sociale": TerritoryKind.OPERATOR,
    "autre": TerritoryKind.OTHER,
}
# Words of a local government's slugified name; EPCI first ("communauté de communes").
LOCAL_KIND_WORDS = (
    ({"metropole", "communaute", "agglomeration", "intercommunalite"}, TerritoryKind.EPCI),
    ({"region", "regional", "regionale"}, TerritoryKind.REGION),
    ({"departement", "departemental", "departementale"}, TerritoryKind.DEPARTEMENT),
    ({"commune", "ville", "mairie", "municipal", "municipale"}, TerritoryKind.COMMUNE),
)
ACCESSIBILITY = {choice.value: choice for choice in AccessibilityCompliance if choice.value}

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<meta>.*?\n)?---[ \t]*(?:\n(?P<body>.*))?\Z", re.S)
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HTTP_URL = URLValidator(schemes=["http", "https"])

# PyYAML explains in English: its usual complaints said in French, by how they start.
YAML_PROBLEMS = (
    (
        "found unexpected end of stream",
        gettext_lazy("un guillemet ou un crochet n’est jamais fermé"),
    ),
    (
        "mapping values are not allowed",
        gettext_lazy("deux-points inattendu : mettez la valeur entre guillemets"),
    ),
    (
        "found character that cannot start any token",
        gettext_lazy(
            "caractère interdit en début de valeur (tabulation, @, `, %…) : indentez avec des "
            "espaces ou mettez la valeur entre guillemets"
        ),
    ),
    ("did not find expected key", gettext_lazy("indentation incohérente")),
    ("could not find expected ':'", gettext_lazy("« : » manquant après le nom d’un champ")),
    ("did not find expected ','", gettext_lazy("un crochet ou une accolade n’est jamais fermé")),
    ("found undefined alias", gettext_lazy("renvoi (*…) vers une ancre jamais définie")),
    ("found unknown escape character", gettext_lazy("échappement (\\…) inconnu dans un texte")),
    ("could not determine a constructor", gettext_lazy("étiquette YAML (!…) non prise en charge")),
    ("unacceptable character", gettext_lazy("caractère de contrôle interdit")),
)


class BetagouvSourceError(Exception):
    """The folder is not a beta.gouv.fr export: nothing is imported."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class UnreadableFile(Exception):
    """One file cannot be imported; `reason` says why, in French."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


# --- Reading -------------------------------------------------------------------


def read_markdown(path: Path) -> tuple[dict, str]:
    """The YAML front matter and markdown body of a Jekyll file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(_("encodage illisible : le fichier n’est pas en UTF-8.")) from exc
    except OSError as exc:
        raise UnreadableFile(
            _("fichier illisible : %(error)s") % {"error": exc.strerror or exc}
        ) from exc
    # NUL characters mean nothing in markdown and PostgreSQL refuses them in text.
    match = FRONT_MATTER.match(text.replace("\r\n", "\n").replace("\x00", ""))
    if match is None:
        raise UnreadableFile(
            _("pas d’en-tête YAML : le fichier doit commencer et finir son en-tête par « --- ».")
        )
    try:
        meta = yaml.load(match["meta"] or "", Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise UnreadableFile(yaml_error_in_french(exc)) from exc
    if not isinstance(meta, dict):
        raise UnreadableFile(_("l’en-tête YAML n’est pas une liste de champs."))
    return meta, (match["body"] or "").strip()


def yaml_error_in_french(exc: yaml.YAMLError) -> str:
    """Where the front matter breaks (line of the file, column) and why, in French."""
    problem = str(getattr(exc, "problem", None) or exc)
    why = next(
        (str(french) for english, french in YAML_PROBLEMS if problem.startswith(english)),
        _("vérifiez l’indentation, les deux-points et les guillemets"),
    )
    mark = getattr(exc, "problem_mark", None)
    if problem.startswith("found unexpected end of stream"):
        mark = getattr(exc, "context_mark", None) or mark  # where the quote was opened
    if mark is None:
        return _("en-tête YAML invalide : %(why)s.") % {"why": why}
    return _("en-tête YAML invalide (ligne %(line)d, colonne %(column)d) : %(why)s.") % {
        "line": mark.line + 2,  # 0-based, and the file's first line is "---"
        "column": mark.column + 1,
        "why": why,
    }


def collection_entries(folder: Path) -> Iterator[tuple[Path, str]]:
    """Each entry of a collection folder, with the reason to skip it ("" to read it)."""
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            yield path, _("c’est un dossier : seuls les fichiers .md de la collection sont lus.")
        elif path.suffix != ".md":
            yield path, _("ce n’est pas un fichier .md.")
        else:
            yield path, ""


def read_source_commit(root: Path) -> str:
    try:
        lines = (root / "SOURCE_COMMIT").read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return ""
    return lines[0] if lines else ""


# --- Cleaning values -------------------------------------------------------------


def text_value(value) -> str:
    """A YAML scalar as stripped text; "" for None."""
    # YAML's "\0" escape gives NUL characters, which PostgreSQL refuses in text.
    return "" if value is None else str(value).replace("\x00", "").strip()


def parse_date(value) -> datetime.date | None:
    """A date from YAML: a date object, or a YYYY-MM-DD or DD/MM/YYYY string."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = text_value(value)
    if match := ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := FRENCH_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def clean_url(value, *, max_length: int = 500) -> str | None:
    """A valid http(s) URL, "" when absent, None when present but unusable."""
    text = html.unescape(text_value(value))  # some links are HTML-escaped ("&#x2F;")
    if not text:
        return ""
    try:
        HTTP_URL(text)
    except ValidationError:
        return None
    return text if len(text) <= max_length else None


def clean_email(value) -> str | None:
    """A valid e-mail address, "" when absent, None when present but unusable."""
    # "mailto:" links and their "?subject=…" suffix are not part of the address.
    text = text_value(value).removeprefix("mailto:").split("?", 1)[0]
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        return None
    return text


def strip_html(text: str) -> str:
    return " ".join(html.unescape(strip_tags(text)).split())


def truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def slug_source(source_id: str) -> str:
    # beta.gouv.fr ids separate words with dots, which slugify would glue together.
    return source_id.replace(".", "-").replace("_", "-")


def reference_id(value) -> str:
    """The id at the end of a reference such as "/organisations/dinum"."""
    return text_value(value).rstrip("/").rsplit("/", 1)[-1]


def territory_kind(org_type, name: str) -> TerritoryKind:
    org_type = text_value(org_type).lower()
    if org_type == "collectivite-territoriale":
        words = set(slugify(name).split("-"))
        for markers, kind in LOCAL_KIND_WORDS:
            if words & markers:
                return kind
        return TerritoryKind.OTHER
    return ORGANISATION_KINDS.get(org_type, TerritoryKind.OTHER)


# --- Phases and events -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Event:
    name: str
    date: datetime.date
    comment: str = ""

    def source_id(self, startup_id: str) -> str:
        return f"{startup_id}:{self.name}:{self.date.isoformat()}"[:200]

    def milestone_fields(self, *, today: datetime.date) -> dict:
        title = EVENT_LABELS.get(self.name) or self.comment or DEFAULT_EVENT_TITLE
        achieved = self.date <= today
        return {
            "title": truncate(title, 300),
            "description": self.comment if self.comment != title else "",
            "status": MilestoneStatus.ACHIEVED if achieved else MilestoneStatus.PLANNED,
            "due_date": self.date,
            "achieved_on": self.date if achieved else None,
        }


@dataclasses.dataclass
class PhasePlan:
    """The phase history to import, plus what was found among phases but is an event."""

    phases: list[tuple[Phase, datetime.date]] = dataclasses.field(default_factory=list)
    events: list[Event] = dataclasses.field(default_factory=list)
    repairs: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)


def plan_phases(items, *, today: datetime.date) -> PhasePlan:
    """Order, deduplicate and check a `phases` list; say what had to be repaired."""
    plan = PhasePlan()
    if items is None:
        items = []
    if not isinstance(items, list):
        plan.warnings.append(_("« phases » n’est pas une liste : ignoré."))
        items = []
    entries = []
    for item in items:
        if not isinstance(item, dict):
            plan.warnings.append(_("une entrée illisible de « phases » a été ignorée."))
            continue
        name = text_value(item.get("name")).lower()
        day = parse_date(item.get("start", item.get("date")))
        if name in EVENT_LABELS:
            # Event names sometimes slip into the phase list: never a phase.
            if day is None:
                plan.warnings.append(
                    _("événement « %(name)s » sans date valide : ignoré.") % {"name": name}
                )
            else:
                plan.events.append(Event(name, day, text_value(item.get("comment"))))
                plan.repairs.append(
                    _("« %(name)s » figurait parmi les phases : importé comme jalon.")
                    % {"name": name}
                )
            continue
        phase = PHASE_NAMES.get(name)
        if phase is None:
            plan.warnings.append(_("phase inconnue « %(name)s » ignorée.") % {"name": name})
        elif day is None:
            plan.warnings.append(
                _("phase « %(name)s » sans date de début valide : ignorée.") % {"name": name}
            )
        elif day > today:
            plan.warnings.append(
                _("phase « %(name)s » datée dans le futur (%(date)s) : ignorée jusque-là.")
                % {"name": name, "date": day.isoformat()}
            )
        else:
            entries.append((day, PHASE_RANK[phase], phase, name))

    ordered = sorted(entries, key=lambda entry: entry[:2])  # stable for equal keys
    if sorted(entries, key=lambda entry: entry[0]) != entries:
        plan.repairs.append(_("phases remises dans l’ordre chronologique."))
    elif ordered != entries:
        plan.repairs.append(_("phases du même jour remises dans l’ordre du cycle de vie."))
    for day, _rank, phase, name in ordered:
        previous = plan.phases[-1][0] if plan.phases else None
        if previous == phase:
            plan.repairs.append(
                _("phase « %(name)s » du %(date)s en double : retirée.")
                % {"name": name, "date": day.isoformat()}
            )
            continue
        if previous in TERMINAL_PHASES:
            plan.repairs.append(
                _(
                    "phase « %(name)s » après la phase terminale « %(previous)s » : "
                    "gardée à la suite (réouverture ou arrêt après coup)."
                )
                % {"name": name, "previous": previous}
            )
        plan.phases.append((phase, day))
    if plan.phases and plan.phases[0][0] in TERMINAL_PHASES:
        # A startup cannot start stopped: it was in investigation until then.
        plan.phases.insert(0, (Phase.INVESTIGATION, plan.phases[0][1]))
        plan.repairs.append(
            _("l’historique commence par une phase terminale : investigation ajoutée le même jour.")
        )
    return plan


def read_events(items) -> tuple[list[Event], list[str]]:
    """The `events` list as Events, with a warning for each unusable entry."""
    events, warnings = [], []
    if items is None:
        return events, warnings
    if not isinstance(items, list):
        return events, [_("« events » n’est pas une liste : ignoré.")]
    for item in items:
        name = text_value(item.get("name")).lower() if isinstance(item, dict) else ""
        day = parse_date(item.get("date")) if isinstance(item, dict) else None
        if not name or day is None:
            warnings.append(_("un événement sans nom ou sans date valide a été ignoré."))
            continue
        events.append(Event(name, day, text_value(item.get("comment"))))
    return events, warnings


# --- Report -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Note:
    path: str
    message: str

    def __str__(self):
        return f"{self.path} : {self.message}"


@dataclasses.dataclass
class ImportReport:
    """What an import did, per kind of row: created, updated, unchanged, skipped."""

    counts: defaultdict = dataclasses.field(default_factory=lambda: defaultdict(Counter))
    skipped: list[Note] = dataclasses.field(default_factory=list)
    repairs: list[Note] = dataclasses.field(default_factory=list)
    warnings: list[Note] = dataclasses.field(default_factory=list)
    source_commit: str = ""
    dry_run: bool = False

    def get(self, kind: str, outcome: str) -> int:
        return self.counts[kind][outcome]

    @property
    def created_total(self) -> int:
        return sum(counter[CREATED] for counter in self.counts.values())

    def credit(self) -> str:
        line = _("Source : beta.gouv.fr (contenus sous licence CC BY-NC-SA 4.0)")
        if self.source_commit:
            line += _(", commit %(commit)s") % {"commit": self.source_commit}
        return line

    def summary_lines(self, *, details: bool = True) -> list[str]:
        def counts(kind):
            return {
                outcome: self.get(kind, outcome)
                for outcome in (CREATED, UPDATED, UNCHANGED, SKIPPED)
            }

        lines = [
            _("Simulation : rien n’a été enregistré.")
            if self.dry_run
            else _("Import beta.gouv.fr terminé.")
        ]
        lines.append(
            _(
                "Organisations — créées : %(created)d, mises à jour : %(updated)d, "
                "inchangées : %(unchanged)d, ignorées : %(skipped)d."
            )
            % counts("organisations")
        )
        lines.append(
            _(
                "Incubateurs — créés : %(created)d, mis à jour : %(updated)d, "
                "inchangés : %(unchanged)d, ignorés : %(skipped)d."
            )
            % counts("incubators")
        )
        lines.append(
            _(
                "Startups — créées : %(created)d, mises à jour : %(updated)d, "
                "inchangées : %(unchanged)d, ignorées : %(skipped)d."
            )
            % counts("startups")
        )
        lines.append(
            _(
                "Lignes liées créées — thématiques : %(themes)d, parrainages : %(sponsorships)d, "
                "jalons : %(milestones)d, financements : %(fundings)d, changements de phase : "
                "%(transitions)d, fiches d’échec à documenter : %(failures)d ; jalons ou "
                "financements mis à jour : %(updated)d."
            )
            % {
                **{
                    kind: self.get(kind, CREATED)
                    for kind in (
                        "themes",
                        "sponsorships",
                        "milestones",
                        "fundings",
                        "transitions",
                        "failures",
                    )
                },
                "updated": self.get("milestones", UPDATED) + self.get("fundings", UPDATED),
            }
        )
        if details:
            for title, notes in (
                (_("Fichiers ignorés"), self.skipped),
                (_("Réparations"), self.repairs),
                (_("Avertissements"), self.warnings),
            ):
                if notes:
                    lines.append(f"{title} ({len(notes)}) :")
                    lines += [f"  - {note}" for note in notes]
        lines.append(self.credit())
        return lines


@dataclasses.dataclass
class _FileResult:
    """What one file did, merged into the report only if its transaction committed."""

    counts: Counter = dataclasses.field(default_factory=Counter)
    repairs: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    undo: list[Callable[[], object]] = dataclasses.field(default_factory=list)

    def count(self, kind: str, outcome: str, number: int = 1) -> None:
        self.counts[kind, outcome] += number


def _assign(obj, fields: dict) -> list[str]:
    """Set the fields that differ; return their names (empty when nothing changed)."""
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, fields[name])
    return changed


def _save_changes(obj, fields: dict) -> bool:
    changed = _assign(obj, fields)
    if changed:
        obj.save(update_fields=[*changed, "updated"])
    return bool(changed)


# --- Import ---------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def check_source(root: Path) -> None:
    if not root.is_dir():
        raise BetagouvSourceError(
            _("Dossier introuvable : %(path)s. Indiquez le dossier des contenus beta.gouv.fr.")
            % {"path": root}
        )
    if not (root / "_startups").is_dir():
        raise BetagouvSourceError(
            _(
                "Le dossier %(path)s ne contient pas de sous-dossier « _startups » : "
                "ce n’est pas un export des contenus beta.gouv.fr."
            )
            % {"path": root}
        )


def import_betagouv(
    path: Path | str, *, dry_run: bool = False, today: datetime.date | None = None
) -> ImportReport:
    """Import a beta.gouv.fr content folder; with `dry_run`, roll everything back."""
    root = Path(path)
    check_source(root)
    importer = BetagouvImporter(root, today=today)
    if not dry_run:
        return importer.run()
    try:
        with transaction.atomic():
            importer.run()
            raise _Rollback
    except _Rollback:
        pass
    importer.report.dry_run = True
    return importer.report


class BetagouvImporter:
    """One import run; caches existing rows by source id to avoid a query per file."""

    def __init__(self, root: Path, *, today: datetime.date | None = None):
        self.root = root
        self.today = today or timezone.localdate()
        self.report = ImportReport(source_commit=read_source_commit(root))
        self.territories = {t.source_id: t for t in Territory.objects.exclude(source_id="")}
        self.incubators = {i.source_id: i for i in Incubator.objects.exclude(source_id="")}
        self.themes = {t.slug: t for t in Theme.objects.all()}
        self.theme_names = {t.name: t for t in self.themes.values()}
        self.startups = {
            s.source_id: s
            for s in Startup.objects.filter(source_id__startswith="startups/").prefetch_related(
                "themes", "sponsorships", "milestones", "fundings", "transitions"
            )
        }

    def run(self) -> ImportReport:
        self._import_collection("_organisations", "organisations", self._import_organisation)
        self._import_collection("_incubators", "incubators", self._import_incubator)
        self._import_collection("_startups", "startups", self._import_startup)
        return self.report

    def _import_collection(self, collection: str, kind: str, handler) -> None:
        report = self.report
        for path, skip_reason in collection_entries(self.root / collection):
            label = f"{collection}/{path.name}"
            if skip_reason:
                report.counts[kind][SKIPPED] += 1
                report.skipped.append(Note(label, skip_reason))
                continue
            result = _FileResult()
            try:
                with transaction.atomic():
                    outcome = handler(path, result)
            except Exception as exc:  # one bad file never stops the import
                for undo in reversed(result.undo):
                    undo()
                if isinstance(exc, UnreadableFile):
                    reason = exc.reason
                elif isinstance(exc, IncubatorError):
                    reason = exc.message
                else:
                    reason = _("erreur inattendue : %(error)s") % {"error": exc}
                report.counts[kind][SKIPPED] += 1
                report.skipped.append(Note(label, str(reason)))
                continue
            report.counts[kind][outcome] += 1
            for (counted_kind, counted_outcome), number in result.counts.items():
                report.counts[counted_kind][counted_outcome] += number
            report.repairs += [Note(label, message) for message in result.repairs]
            report.warnings += [Note(label, message) for message in result.warnings]

    # --- Organisations and incubators

    def _import_organisation(self, path: Path, result: _FileResult) -> str:
        meta, _body = read_markdown(path)
        name = text_value(meta.get("name"))
        if not name:
            raise UnreadableFile(_("nom manquant (champ « name »)."))
        org_type = text_value(meta.get("type"))
        if org_type and org_type.lower() not in {*ORGANISATION_KINDS, "collectivite-territoriale"}:
            result.warnings.append(
                _("type d’organisation inconnu « %(type)s » : classé « autre ».")
                % {"type": org_type}
            )
        fields = {
            "name": truncate(name, 200),
            "acronym": truncate(text_value(meta.get("acronym")), 40),
            "kind": territory_kind(org_type, name),
        }
        source_id = f"organisations/{path.stem}"
        territory = self.territories.get(source_id)
        if territory is not None:
            return UPDATED if _save_changes(territory, fields) else UNCHANGED
        territory = Territory.objects.create(
            slug=services.unique_slug(Territory, slug_source(path.stem)),
            source_id=source_id,
            **fields,
        )
        self._cache(result, self.territories, source_id, territory)
        return CREATED

    def _import_incubator(self, path: Path, result: _FileResult) -> str:
        meta, body = read_markdown(path)
        name = text_value(meta.get("title"))
        if not name:
            raise UnreadableFile(_("titre manquant (champ « title »)."))
        website = clean_url(meta.get("website"), max_length=200)
        if website is None:
            result.warnings.append(_("site web invalide ignoré."))
        email = clean_email(meta.get("contact"))
        if email is None:
            result.warnings.append(
                _("adresse de contact invalide ignorée : « %(value)s ».")
                % {"value": text_value(meta.get("contact"))}
            )
        owner = None
        if owner_id := reference_id(meta.get("owner")):
            owner = self.territories.get(f"organisations/{owner_id}")
            if owner is None:
                result.warnings.append(
                    _("structure porteuse inconnue « %(id)s » ignorée.") % {"id": owner_id}
                )
        short_description = strip_html(text_value(meta.get("short_description")))
        fields = {
            "name": truncate(name, 200),
            "description": "\n\n".join(part for part in (short_description, body) if part),
            "website": website or "",
            "contact_email": email or "",
            "owner_id": owner.pk if owner else None,
        }
        source_id = f"incubators/{path.stem}"
        incubator = self.incubators.get(source_id)
        if incubator is not None:
            return UPDATED if _save_changes(incubator, fields) else UNCHANGED
        incubator = Incubator.objects.create(
            slug=services.unique_slug(Incubator, slug_source(path.stem)),
            source_id=source_id,
            **fields,
        )
        self._cache(result, self.incubators, source_id, incubator)
        return CREATED

    def _cache(self, result: _FileResult, cache: dict, key: str, obj) -> None:
        # A rolled-back file must not leave a row in the cache that the database lost.
        cache[key] = obj
        result.undo.append(lambda: cache.pop(key, None))

    # --- Startups

    def _import_startup(self, path: Path, result: _FileResult) -> str:
        startup_id = path.stem
        meta, body = read_markdown(path)
        name = text_value(meta.get("title"))
        if not name:
            raise UnreadableFile(_("titre manquant (champ « title »)."))
        plan = plan_phases(meta.get("phases"), today=self.today)
        result.repairs += plan.repairs
        result.warnings += plan.warnings
        if not plan.phases:
            raise UnreadableFile(" ".join([_("aucune phase datée."), *plan.warnings]))
        incubator = self._incubator_for(meta.get("incubator"), result)
        fields = self._startup_fields(meta, body, result)
        source_id = f"startups/{startup_id}"
        startup = self.startups.get(source_id)
        if startup is None:
            first_phase, first_day = plan.phases[0]
            startup = services.startup_create(
                incubator=incubator,
                actor=None,
                on=first_day,
                initial_phase=first_phase,
                rationale=RATIONALE,
                slug=services.unique_slug(Startup, slug_source(startup_id)),
                source_id=source_id,
                **fields,
            )
            self._cache(result, self.startups, source_id, startup)
            result.count("transitions", CREATED)
            existing_phases = [plan.phases[0]]
            is_new, changed = True, True
        else:
            changed = _save_changes(startup, {**fields, "incubator_id": incubator.pk})
            existing_phases = [(t.to_phase, t.date) for t in startup.transitions.all()]
            is_new = False

        events, warnings = read_events(meta.get("events"))
        result.warnings += warnings
        events = self._unique_events([*events, *plan.events], result)
        # `|` rather than `or`: every step must run.
        changed |= self._sync_themes(startup, meta.get("thematiques"), is_new, result)
        changed |= self._sync_sponsors(startup, meta.get("sponsors"), is_new, result)
        changed |= self._sync_milestones(startup, startup_id, events, is_new, result)
        changed |= self._sync_funding(startup, meta.get("fast"), events, plan, is_new, result)
        changed |= self._sync_phases(startup, plan.phases, existing_phases, result)
        if is_new:
            return CREATED
        return UPDATED if changed else UNCHANGED

    def _incubator_for(self, value, result: _FileResult) -> Incubator:
        incubator_id = reference_id(value)
        if not incubator_id:
            raise UnreadableFile(_("aucun incubateur indiqué (champ « incubator »)."))
        source_id = f"incubators/{incubator_id}"
        incubator = self.incubators.get(source_id)
        if incubator is None:
            incubator = Incubator.objects.create(
                name=truncate(incubator_id, 200),
                slug=services.unique_slug(Incubator, slug_source(incubator_id)),
                source_id=source_id,
            )
            self._cache(result, self.incubators, source_id, incubator)
            result.count("incubators", CREATED)
            result.warnings.append(
                _("incubateur inconnu « %(id)s » : fiche provisoire créée, à compléter.")
                % {"id": incubator_id}
            )
        return incubator

    def _startup_fields(self, meta: dict, body: str, result: _FileResult) -> dict:
        mission = text_value(meta.get("mission"))
        if len(mission) > 300:
            result.repairs.append(_("mission de plus de 300 caractères : pitch tronqué."))
        accessibility = text_value(meta.get("accessibility_status")).lower()
        if accessibility and accessibility not in ACCESSIBILITY:
            result.warnings.append(
                _("conformité RGAA inconnue « %(value)s » ignorée.") % {"value": accessibility}
            )
        fields = {
            "name": truncate(text_value(meta.get("title")), 200),
            "pitch": truncate(mission, 300),
            "description": body,
            "accessibility_status": ACCESSIBILITY.get(
                accessibility, AccessibilityCompliance.UNKNOWN
            ),
        }
        for field_name, key in (
            ("website", "link"),
            ("repository", "repository"),
            ("stats_url", "stats_url"),
            ("impact_url", "impact_url"),
            ("budget_url", "budget_url"),
        ):
            url = clean_url(meta.get(key))
            if url is None:
                result.warnings.append(
                    _("lien « %(field)s » invalide ignoré : « %(value)s ».")
                    % {"field": key, "value": truncate(text_value(meta.get(key)), 80)}
                )
            fields[field_name] = url or ""
        return fields

    def _unique_events(self, events: list[Event], result: _FileResult) -> list[Event]:
        unique = {}
        for event in events:
            key = (event.name, event.date)
            if key in unique:
                result.repairs.append(
                    _("événement « %(name)s » du %(date)s en double : retiré.")
                    % {"name": event.name, "date": event.date.isoformat()}
                )
            else:
                unique[key] = event
        return list(unique.values())

    def _sync_themes(self, startup: Startup, names, is_new: bool, result: _FileResult) -> bool:
        if names is None:
            return False
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list):
            result.warnings.append(_("« thematiques » n’est pas une liste : ignoré."))
            return False
        current = set() if is_new else {theme.pk for theme in startup.themes.all()}
        missing = {}
        for raw in names:
            name = truncate(text_value(raw), 100)
            slug = slugify(name)[:120]
            if not slug:
                continue
            theme = self.themes.get(slug) or self.theme_names.get(name)
            if theme is None:
                theme = Theme.objects.create(name=name, slug=slug)
                self._cache(result, self.themes, slug, theme)
                self._cache(result, self.theme_names, name, theme)
                result.count("themes", CREATED)
            if theme.pk not in current:
                missing[theme.pk] = theme
        if missing:
            startup.themes.add(*missing.values())
        return bool(missing)

    def _sync_sponsors(self, startup: Startup, refs, is_new: bool, result: _FileResult) -> bool:
        if refs is None:
            return False
        if not isinstance(refs, list):
            refs = [refs]
        current = set() if is_new else {s.territory_id for s in startup.sponsorships.all()}
        added = False
        for ref in refs:
            territory = self.territories.get(f"organisations/{reference_id(ref)}")
            if territory is None:
                result.warnings.append(
                    _("sponsor inconnu « %(ref)s » ignoré.") % {"ref": text_value(ref)}
                )
                continue
            if territory.pk in current:
                continue
            Sponsorship.objects.create(startup=startup, territory=territory)
            current.add(territory.pk)
            result.count("sponsorships", CREATED)
            added = True
        return added

    def _sync_milestones(
        self, startup: Startup, startup_id: str, events, is_new: bool, result: _FileResult
    ) -> bool:
        current = {} if is_new else {m.source_id: m for m in startup.milestones.all()}
        changed = False
        for event in events:
            source_id = event.source_id(startup_id)
            fields = event.milestone_fields(today=self.today)
            milestone = current.get(source_id)
            if milestone is None:
                Milestone.objects.create(startup=startup, source_id=source_id, **fields)
                result.count("milestones", CREATED)
            elif _save_changes(milestone, fields):
                result.count("milestones", UPDATED)
            else:
                continue
            changed = True
        return changed

    def _sync_funding(
        self, startup: Startup, fast, events, plan: PhasePlan, is_new: bool, result: _FileResult
    ) -> bool:
        if not fast:
            return False
        try:
            amount = Decimal(text_value(fast.get("montant")))
            if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
                raise InvalidOperation
        except (AttributeError, InvalidOperation):
            result.warnings.append(_("financement FAST sans montant valide : ignoré."))
            return False
        promotion = text_value(fast.get("promotion"))
        note = f"Promotion {promotion}" if promotion else "FAST"
        fast_days = sorted(event.date for event in events if event.name == "fast")
        fields = {
            "amount_cents": int(amount * 100),
            "funder_name": FAST_FUNDER,
            "start_date": fast_days[0] if fast_days else plan.phases[0][1],
        }
        current = (
            None
            if is_new
            else next(
                (
                    f
                    for f in startup.fundings.all()
                    if f.kind == FundingKind.ACCELERATION_FUND and f.note == note
                ),
                None,
            )
        )
        if current is None:
            Funding.objects.create(
                startup=startup, kind=FundingKind.ACCELERATION_FUND, note=note, **fields
            )
            result.count("fundings", CREATED)
            return True
        if _save_changes(current, fields):
            result.count("fundings", UPDATED)
            return True
        return False

    def _sync_phases(self, startup: Startup, phases, existing, result: _FileResult) -> bool:
        if phases == existing:
            return False
        failure_created = False
        try:
            # Savepoint: a refused history must not leave its Failure behind.
            with transaction.atomic():
                abandoned_on = next(
                    (day for phase, day in phases if phase == Phase.ABANDONED), None
                )
                if (
                    abandoned_on is not None
                    and not startup.failures.filter(scope=FailureScope.STARTUP).exists()
                ):
                    services.failure_record(
                        startup=startup,
                        scope=FailureScope.STARTUP,
                        reason=FailureReason.TO_DOCUMENT,
                        occurred_on=abandoned_on,
                        author=None,
                    )
                    failure_created = True
                added = services.startup_sync_imported_phases(
                    startup=startup, phases=phases, rationale=RATIONALE
                )
        except IncubatorError as exc:
            result.warnings.append(
                _("historique des phases non mis à jour : %(reason)s") % {"reason": exc.message}
            )
            return False
        if failure_created:
            result.count("failures", CREATED)
        result.count("transitions", CREATED, added)
        return bool(added or failure_created)
