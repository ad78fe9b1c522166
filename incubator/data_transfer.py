"""Full export and import of the platform: every record of every installed app, every stored file.

`export_data(directory)` writes one JSON Lines file per model (Django's serializer, primary
keys kept) under `data/`, a copy of every file of the public and private storages under
`files/<storage>/`, and `manifest.json`: format version, package versions, applied
migrations, row counts, and the SHA-256 of each file. `import_data(directory)` checks all of
it before writing anything, then replaces the database content in one transaction, and
restores the files before it commits. Being Django-level, it works on SQLite and PostgreSQL
alike, and from one to the other; `docs/operations.md` says when pg_dump is the better tool.
"""

import datetime
import hashlib
import itertools
import json
import posixpath
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from incubator.models import PublicDataVersion

FORMAT = "territoires-lab-export"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"

# Not exported; an import empties them, as every other table.
NOT_EXPORTED = {
    # Open sessions are bearer credentials, and a restored one would log its holder in as
    # whoever has that user id afterwards: everyone logs in again after a restore.
    "sessions.Session",
    # The search index is derived data whose columns differ between SQLite and PostgreSQL:
    # the import rebuilds it (`update_index`).
    "wagtailsearch.IndexEntry",
    "wagtailsearch.SQLiteFTSIndexEntry",
    # The public cache's counter belongs to the target: the import moves it forward.
    "incubator.PublicDataVersion",
}
# `migrate` creates no row in these apps: any row there means the database is in use.
OWN_DATA_APPS = ("accounts", "incubator", "programs")
VERSIONED_PACKAGES = ("territoires-lab", "Django", "wagtail", "django-allauth")
CHUNK_SIZE = 1024 * 1024


class DataTransferError(Exception):
    """An export or import refused or stopped, the database left as it was; the message says
    why, in French."""


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder rounds datetimes and times to the millisecond (for JavaScript):
    keep the microseconds, so that a restored row equals the original."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


# --- What an export holds -------------------------------------------------------------


def exported_models() -> list[type[Model]]:
    """Every model whose rows an export holds (many-to-many tables included), each after
    the models it points to."""
    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.label not in NOT_EXPORTED
    ]
    return _dependency_order(models)


def _dependency_order(models: list[type[Model]]) -> list[type[Model]]:
    # PostgreSQL triggers read a related row when a row is inserted (a lesson's search
    # document holds its startup's problem): the related row must be there first. Cycles
    # need no care: foreign keys are checked at the end of the transaction.
    included = set(models)
    ordered: list[type[Model]] = []
    seen: set[type[Model]] = set()

    def visit(model):
        if model in seen:
            return
        seen.add(model)
        for field in model._meta.local_fields:
            if field.related_model in included:
                visit(field.related_model)
        ordered.append(model)

    for model in models:
        visit(model)
    return ordered


def file_storage_aliases() -> list[str]:
    """The storages of uploaded and generated files: public media and private files."""
    return [alias for alias in settings.STORAGES if alias != STATICFILES_STORAGE_ALIAS]


def stored_names(storage, folder: str = ""):
    """Every file name in `storage`, folder by folder, sorted."""
    try:
        folders, names = storage.listdir(folder)
    except FileNotFoundError:  # a local storage nothing was ever written to
        return
    for name in sorted(names):
        yield posixpath.join(folder, name)
    for subfolder in sorted(folders):
        yield from stored_names(storage, posixpath.join(folder, subfolder))


def database_in_use() -> bool:
    """Whether the database holds data of its own, beyond what `migrate` creates."""
    return any(
        model._base_manager.exists()
        for model in exported_models()
        if model._meta.app_label in OWN_DATA_APPS
    )


def _applied_migrations(connection) -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())


def _package_versions() -> dict[str, str | None]:
    versions = {}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _data_path(label: str) -> str:
    return f"data/{label}.jsonl"


def _file_path(storage_alias: str, name: str) -> str:
    return f"files/{storage_alias}/{name}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


# --- Export ---------------------------------------------------------------------------


def export_data(directory: Path) -> dict:
    """Write every record and every stored file into `directory` (new or empty); return
    the manifest."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise DataTransferError(
            _("%(path)s existe déjà et n’est pas un dossier vide : choisissez un nouveau dossier.")
            % {"path": directory}
        )
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise DataTransferError(
            _("La base n’est pas à jour : lancez manage.py migrate avant l’export.")
        )
    # Password hashes, MFA secrets, private reports: readable by their owner only.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table, while the platform keeps running.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        models = [_export_model(model, directory) for model in exported_models()]
        migrations = sorted(_applied_migrations(connection))
    files = [
        _export_file(alias, name, directory)
        for alias in file_storage_aliases()
        for name in stored_names(storages[alias])
    ]
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "database_vendor": connection.vendor,
        "versions": _package_versions(),
        "migrations": [f"{app}.{name}" for app, name in migrations],
        "models": models,
        "files": files,
    }
    (directory / MANIFEST_NAME).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return manifest


def _export_model(model: type[Model], directory: Path) -> dict:
    label = model._meta.label_lower
    path = directory / _data_path(label)
    path.parent.mkdir(exist_ok=True)
    queryset = model._base_manager.order_by("pk")
    with path.open("w", encoding="utf-8") as stream:
        serializers.serialize(
            "jsonl",
            queryset.iterator(chunk_size=2000),
            stream=stream,
            # The model's own columns: an inherited model's parent rows and the
            # many-to-many rows are exported with their own models.
            fields=[field.name for field in model._meta.local_fields],
            cls=ExactJSONEncoder,
        )
    return {"model": label, "rows": queryset.count(), "sha256": _sha256(path)}


def _export_file(alias: str, name: str, directory: Path) -> dict:
    path = directory / _file_path(alias, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with storages[alias].open(name, "rb") as source, path.open("wb") as copy:
        for chunk in source.chunks(CHUNK_SIZE):
            digest.update(chunk)
            copy.write(chunk)
            size += len(chunk)
    return {"storage": alias, "name": name, "size": size, "sha256": digest.hexdigest()}


# --- Import ---------------------------------------------------------------------------


def import_data(directory: Path, *, replace: bool = False) -> dict:
    """Replace the database content and restore the stored files from an export; return its
    manifest. Everything is checked first; a refusal writes nothing."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    connection = connections[DEFAULT_DB_ALIAS]
    _check_schema(manifest, connection)
    models = exported_models()
    _check_files(directory, manifest)
    if not replace and database_in_use():
        raise DataTransferError(
            _(
                "La base de données contient déjà des données (comptes, startups…) que "
                "l’import remplacerait toutes. Relancez avec --replace pour confirmer, ou "
                "importez dans une base neuve (créée par manage.py migrate)."
            )
        )
    rows = {entry["model"]: entry["rows"] for entry in manifest["models"]}
    try:
        with transaction.atomic():
            # Every process keys its cached public pages by this counter: past all of them.
            version = PublicDataVersion.objects.values_list("version", flat=True).first() or 0
            _empty_database(connection)
            for model in models:
                _load_model(
                    model,
                    directory,
                    expected_rows=rows[model._meta.label_lower],
                    connection=connection,
                )
            # Foreign keys are deferred to the commit: check them now, for a clear error.
            connection.check_constraints(table_names=[m._meta.db_table for m in models])
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(statement)
            ContentType.objects.clear_cache()  # its ids are those of the export now
            PublicDataVersion.objects.create(pk=1, version=version + 1)
            call_command("update_index", verbosity=0)
            # Last, so that a refusal above leaves the files as they were.
            for entry in manifest["files"]:
                _restore_file(directory, entry)
            # Sessions held in the cache (cached_db), rate limits, cached pages: all
            # belonged to the replaced data.
            transaction.on_commit(cache.clear)
    except DatabaseError as error:
        raise DataTransferError(
            _("La base de données a refusé l’import, rien n’a été importé : %(error)s")
            % {"error": error}
        ) from error
    finally:
        ContentType.objects.clear_cache()
    return manifest


def read_manifest(directory: Path) -> dict:
    """The manifest of the export in `directory`, of a format this version reads."""
    if not directory.is_dir():
        raise DataTransferError(_("Le dossier %(path)s n’existe pas.") % {"path": directory})
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise DataTransferError(
            _(
                "%(path)s ne contient pas de manifest.json : ce n’est pas un export de la plateforme."
            )
            % {"path": directory}
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataTransferError(
            _("manifest.json est illisible : %(error)s") % {"error": error}
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataTransferError(_("manifest.json ne décrit pas un export de la plateforme."))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DataTransferError(
            _(
                "Version de format d’export inconnue (%(found)s) : cette version de la "
                "plateforme lit la version %(expected)s."
            )
            % {"found": manifest.get("format_version"), "expected": FORMAT_VERSION}
        )
    if not (
        isinstance(manifest.get("created_at"), str)
        and _entries_with(manifest.get("models"), {"model", "rows", "sha256"})
        and _entries_with(manifest.get("files"), {"storage", "name", "sha256"})
        and isinstance(manifest.get("migrations"), list)
        and all(isinstance(item, str) and "." in item for item in manifest["migrations"])
    ):
        raise DataTransferError(_("manifest.json est incomplet ou mal formé."))
    manifest["migrations"] = {tuple(item.split(".", 1)) for item in manifest["migrations"]}
    return manifest


def _entries_with(entries, keys: set[str]) -> bool:
    return isinstance(entries, list) and all(
        isinstance(entry, dict) and keys <= entry.keys() for entry in entries
    )


def _check_schema(manifest: dict, connection) -> None:
    # Rows load column for column: the target must be at exactly the export's schema.
    applied = _applied_migrations(connection)
    missing = sorted(manifest["migrations"] - applied)
    extra = sorted(applied - manifest["migrations"])
    if missing or extra:
        raise DataTransferError(
            _(
                "La base cible n’est pas au même schéma que l’export (migrations absentes : "
                "%(missing)s ; en trop : %(extra)s). Importez avec la version de la plateforme "
                "qui a fait l’export, sur une base où manage.py migrate a été lancé, puis "
                "mettez à jour."
            )
            % {"missing": _some(missing), "extra": _some(extra)}
        )
    expected = {model._meta.label_lower for model in exported_models()}
    found = {entry["model"] for entry in manifest["models"]}
    if found != expected:
        raise DataTransferError(
            _(
                "Les modèles de l’export ne sont pas ceux de cette installation (absents de "
                "l’export : %(missing)s ; inconnus ici : %(extra)s)."
            )
            % {"missing": _some(sorted(expected - found)), "extra": _some(sorted(found - expected))}
        )


def _some(items: list) -> str:
    if not items:
        return _("aucune")
    shown = ", ".join(".".join(item) if isinstance(item, tuple) else item for item in items[:3])
    return f"{shown}…" if len(items) > 3 else shown


def _check_files(directory: Path, manifest: dict) -> None:
    """Every file the manifest lists is in the export, unchanged; file names are safe."""
    aliases = file_storage_aliases()
    listed = [(_data_path(entry["model"]), entry["sha256"]) for entry in manifest["models"]]
    for entry in manifest["files"]:
        name = PurePosixPath(entry["name"])
        if entry["storage"] not in aliases:
            raise DataTransferError(
                _("Stockage inconnu dans manifest.json : %(storage)s.")
                % {"storage": entry["storage"]}
            )
        if name.is_absolute() or ".." in name.parts or not name.parts:
            raise DataTransferError(
                _("Nom de fichier invalide dans manifest.json : %(name)s.") % {"name": name}
            )
        listed.append((_file_path(entry["storage"], entry["name"]), entry["sha256"]))
    root = directory.resolve()
    for relative, sha256 in listed:
        path = directory / relative
        if not path.resolve().is_relative_to(root):
            raise DataTransferError(
                _("%(path)s pointe hors du dossier d’export.") % {"path": relative}
            )
        if not path.is_file():
            raise DataTransferError(
                _("Fichier manquant dans l’export : %(path)s. Rien n’a été importé.")
                % {"path": relative}
            )
        if _sha256(path) != sha256:
            raise DataTransferError(
                _(
                    "Le fichier %(path)s ne correspond pas à son empreinte SHA-256 "
                    "dans manifest.json : l’export est altéré ou incomplet. Rien n’a été importé."
                )
                % {"path": relative}
            )


def _empty_database(connection) -> None:
    # Every table, as `manage.py flush` does, but sequences are set after the load.
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    if connection.vendor == "postgresql":
        # TRUNCATE refuses tables with foreign key checks still deferred by an enclosing
        # transaction (a test's): run them now.
        connection.check_constraints()
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))


def _load_model(model: type[Model], directory: Path, *, expected_rows: int, connection) -> None:
    label = model._meta.label_lower
    fields = [field for field in model._meta.local_concrete_fields if not field.generated]
    batch_size = max(1, min(1000, connection.ops.bulk_batch_size(fields, range(1000))))
    loaded = 0
    with (directory / _data_path(label)).open(encoding="utf-8") as stream:
        objects = (row.object for row in serializers.deserialize("jsonl", stream))
        try:
            while batch := list(itertools.islice(objects, batch_size)):
                # Django's own insert for a raw save (Model._do_insert), a batch at a time:
                # values as stored (no auto_now), no save() and no signal, so restoring has
                # no side effect (history rows, billing, cache counter, search index).
                model._base_manager._insert(batch, fields=fields, using=connection.alias, raw=True)
                loaded += len(batch)
        except DeserializationError as error:
            raise DataTransferError(
                _("Ligne illisible dans %(path)s : %(error)s")
                % {"path": _data_path(label), "error": error}
            ) from error
    count = model._base_manager.count()
    if not loaded == count == expected_rows:
        raise DataTransferError(
            _("%(model)s : %(count)s lignes importées, le manifeste en annonce %(expected)s.")
            % {"model": label, "count": count, "expected": expected_rows}
        )


def _restore_file(directory: Path, entry: dict) -> None:
    storage, name = storages[entry["storage"]], entry["name"]
    if storage.exists(name):  # else the storage would save it under another name
        storage.delete(name)
    with (directory / _file_path(entry["storage"], name)).open("rb") as stream:
        saved = storage.save(name, File(stream))
    if saved != name:
        raise DataTransferError(
            _("Le fichier %(name)s a été enregistré sous un autre nom (%(saved)s).")
            % {"name": name, "saved": saved}
        )
