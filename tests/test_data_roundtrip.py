"""`export_data` then `import_data` restore every record and every stored file identically,
and a bad export, or a database in use, is refused with a French message, writing nothing."""

import datetime
import json
from pathlib import Path

from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.search.models import IndexEntry

import pytest
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django_tasks_db.models import DBTaskResult

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from cms.models import HomePage
from incubator import public_cache, services
from incubator.models import Incubator, Report, Sponsorship, Startup
from programs.models import ApplicationDocument
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db

# Rows a round trip does not keep, on purpose:
NOT_COMPARED = {
    "sessions.Session",  # closed by an import: everyone logs in again
    "wagtailsearch.IndexEntry",  # rebuilt by the import: compared as the set of indexed objects
    "wagtailsearch.SQLiteFTSIndexEntry",  # the SQLite full-text twin of IndexEntry
    "incubator.PublicDataVersion",  # the public cache's counter: moved forward (checked below)
}


def database_rows() -> dict[str, list[tuple]]:
    """Every row of every model (many-to-many tables too), column by column, by primary key."""
    return {
        model._meta.label: list(
            model._base_manager.order_by("pk").values_list(
                *[field.attname for field in model._meta.local_concrete_fields]
            )
        )
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.label not in NOT_COMPARED
    }


def stored_files() -> dict[tuple[str, str], bytes]:
    """Every file of the public and private storages, read from their folders."""
    files = {}
    for alias in ("default", "private"):
        root = Path(storages[alias].location)
        for path in root.rglob("*") if root.exists() else []:
            if path.is_file():
                files[alias, path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def indexed_objects() -> set[tuple[int, str]]:
    return set(IndexEntry.objects.values_list("content_type_id", "object_id"))


def assert_same_rows(before: dict, after: dict) -> None:
    assert [label for label in before if before[label] != after[label]] == []
    assert after == before


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_round_trip_of_the_demo_restores_every_record_and_file(
    settings, media_root, tmp_path, client
):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False
    # Files of each kind: public media (an image, a document) and private
    # files (the demo's reports and application documents, a commitment letter).
    image = Image.objects.create(title="Logo", file=get_test_image_file())
    image.tags.add("logo")
    get_document_model().objects.create(
        title="Charte", file=ContentFile(b"charte", name="charte.txt")
    )
    sponsorship = Sponsorship.objects.first()
    sponsorship.commitment_document.save("lettre.pdf", ContentFile(b"%PDF-1.4 lettre"))
    # Records the demo has none of: a page revision, a redirect, MFA and ProConnect links,
    # a queued task.
    coach = User.objects.get(email="coach@demo.example")
    HomePage.objects.get().save_revision(user=coach, log_action=True)
    Redirect.objects.create(old_path="/ancienne-adresse", redirect_link="/")
    Authenticator.objects.create(user=coach, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"})
    SocialAccount.objects.create(user=coach, provider="proconnect", uid="agent-42")
    DBTaskResult.objects.create(  # a report still waiting for the worker
        task_path="incubator.tasks.generate_report",
        args_kwargs={"args": [Report.objects.first().pk], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
    )
    assert Report.objects.exclude(pdf="").count() >= 2
    assert ApplicationDocument.objects.exists()
    rows, files, index = database_rows(), stored_files(), indexed_objects()
    assert {alias for alias, _name in files} == {"default", "private"}

    call_command("export_data", str(tmp_path / "export"), verbosity=0)
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    counts = {entry["model"]: entry["rows"] for entry in manifest["models"]}
    assert counts["incubator.startup"] == Startup.objects.count()
    assert len(manifest["files"]) == len(files)

    # Everything lost: the database emptied as by a new installation, the files deleted.
    connection.check_constraints()  # PostgreSQL truncates no table with checks still pending
    call_command("flush", interactive=False, verbosity=0)
    for alias, name in files:
        storages[alias].delete(name)
    assert not User.objects.exists() and not stored_files().keys() & files.keys()

    call_command("import_data", str(tmp_path / "export"), verbosity=0)

    assert_same_rows(rows, database_rows())
    assert stored_files() == files
    # Rebuilt from scratch, the index holds at least what was searchable before.
    assert index <= indexed_objects()
    # The password hashes came back: a demo account logs in with the demo password.
    response = client.post(
        reverse("account_login"), {"login": "agent@demo.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="agent@demo.example").pk)
    # Sequences follow the restored ids: new rows get fresh ones.
    startup = services.startup_create(
        incubator=Incubator.objects.first(),
        name="Après la restauration",
        actor=None,
        on=datetime.date(2025, 1, 6),
    )
    assert startup.pk > max(row[0] for row in rows["incubator.Startup"])
    assert startup.transitions.get().pk > max(row[0] for row in rows["incubator.PhaseTransition"])


def test_replace_puts_back_the_exported_data_and_closes_sessions(media_root, tmp_path, client):
    startup = StartupFactory(name="Cantine locale")
    get_document_model().objects.create(
        title="Charte", file=ContentFile(b"charte", name="charte.txt")
    )
    rows, files = database_rows(), stored_files()
    call_command("export_data", str(tmp_path / "export"), verbosity=0)
    # Life goes on after the backup: an edit, a new account logged in, a deleted file.
    Startup.objects.filter(pk=startup.pk).update(name="Cantine renommée")
    client.force_login(UserFactory())
    storages["private"].delete("documents/charte.txt")
    cached_pages_version = public_cache.current_version()

    call_command("import_data", str(tmp_path / "export"), replace=True, verbosity=0)

    assert_same_rows(rows, database_rows())
    assert stored_files() == files
    assert not Session.objects.exists()
    # No cached public page of the replaced data is served again.
    assert public_cache.current_version() > cached_pages_version
    assert client.get(reverse("workspace:home")).status_code == 302  # back to the login page


@pytest.fixture
def export_dir(media_root, tmp_path):
    """An export of a small network, then a change made after it (a new account) and a
    public file lost, so that an import that wrote anything would show."""
    StartupFactory()
    UserFactory(email="avant@exemple.fr")
    get_document_model().objects.create(
        title="Charte", file=ContentFile(b"charte", name="charte.txt")
    )
    directory = tmp_path / "export"
    call_command("export_data", str(directory), verbosity=0)
    UserFactory(email="apres@exemple.fr")
    storages["private"].delete("documents/charte.txt")
    return directory


def tamper_file(directory: Path) -> None:
    with (directory / "files" / "private" / "documents" / "charte.txt").open("ab") as stream:
        stream.write(b" falsifiee")


def tamper_rows(directory: Path) -> None:
    path = directory / "data" / "accounts.user.jsonl"
    path.write_text(path.read_text().replace("avant@exemple.fr", "intrus@exemple.fr"))


def remove_file(directory: Path) -> None:
    (directory / "files" / "private" / "documents" / "charte.txt").unlink()


def change_format_version(directory: Path) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["format_version"] = 99
    (directory / "manifest.json").write_text(json.dumps(manifest))


def drop_a_migration(directory: Path) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["migrations"].remove("incubator.0001_initial")
    (directory / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("spoil", "replace", "message"),
    [
        (tamper_file, True, "ne correspond pas à son empreinte SHA-256"),
        (tamper_rows, True, "ne correspond pas à son empreinte SHA-256"),
        (remove_file, True, "Fichier manquant dans l’export : files/private/documents/charte.txt"),
        (change_format_version, True, "Version de format d’export inconnue (99)"),
        (drop_a_migration, True, "pas au même schéma que l’export"),
        (None, False, "La base de données contient déjà des données"),
    ],
    ids=["file-tampered", "rows-tampered", "file-missing", "format", "schema", "not-empty"],
)
def test_a_refused_import_says_why_in_french_and_writes_nothing(
    export_dir, spoil, replace, message
):
    if spoil:
        spoil(export_dir)
    rows, files = database_rows(), stored_files()

    with pytest.raises(
        CommandError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as error:
        call_command("import_data", str(export_dir), replace=replace, verbosity=0)

    assert error.value.returncode == 1  # what `manage.py` exits with
    assert_same_rows(rows, database_rows())
    assert User.objects.filter(email="apres@exemple.fr").exists()
    assert stored_files() == files


def test_import_from_a_folder_that_does_not_exist_is_refused(tmp_path):
    rows = database_rows()
    with pytest.raises(CommandError, match="Le dossier .*absent n’existe pas"):
        call_command("import_data", str(tmp_path / "absent"), verbosity=0)
    assert_same_rows(rows, database_rows())


def test_export_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "sauvegarde.txt").write_text("à garder")
    with pytest.raises(CommandError, match="n’est pas un dossier vide"):
        call_command("export_data", str(tmp_path), verbosity=0)
    assert [path.name for path in tmp_path.iterdir()] == ["sauvegarde.txt"]
