"""Wagtail documents of a restricted collection are read only through Wagtail's view.

Their files sit in the private storage (cms.PrivateDocument): nothing under MEDIA_ROOT
or the public bucket, so no web server or bucket URL hands them out without the
collection's check.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404
from django.test import RequestFactory
from django.views.static import serve as serve_media

from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

import pytest

from cms.models import HomePage, PrivateDocument, StandardPage
from tests.factories import UserFactory
from tests.test_scaling_settings import S3_ENV, settings_with

MINUTES = b"Compte rendu du comite d'investissement : budget 2027 refuse."


@pytest.fixture
def members_only():
    collection = Collection.get_first_root_node().add_child(name="Comités")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    return collection


@pytest.fixture
def minutes(members_only):
    return get_document_model().objects.create(
        title="Compte rendu",
        file=ContentFile(MINUTES, name="compte-rendu.txt"),
        collection=members_only,
    )


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_not_served_from_media(path: str):
    """What `make run` (DEBUG) and a web server serving MEDIA_ROOT would answer."""
    request = RequestFactory().get(settings.MEDIA_URL + path)
    with pytest.raises(Http404):
        serve_media(request, path, document_root=settings.MEDIA_ROOT)


@pytest.mark.django_db
def test_the_site_uses_documents_kept_in_the_private_storage(minutes):
    assert get_document_model() is PrivateDocument
    assert storages["private"].exists(minutes.file.name)
    assert not default_storage.exists(minutes.file.name)


@pytest.mark.django_db
def test_a_restricted_document_is_refused_to_anonymous_visitors_by_every_path(client, minutes):
    response = client.get(minutes.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=")
    assert_not_served_from_media(minutes.file.name)
    assert client.get(minutes.file.url).status_code == 404


@pytest.mark.django_db
def test_a_restricted_document_is_served_to_a_signed_in_member(client, minutes):
    client.force_login(UserFactory())
    response = client.get(minutes.url)
    assert response.status_code == 200
    assert content(response) == MINUTES


@pytest.mark.django_db
def test_a_group_restricted_document_is_served_to_its_group_only(client, minutes):
    committee = Group.objects.create(name="Comité d’investissement")
    restriction = CollectionViewRestriction.objects.get(collection=minutes.collection)
    restriction.restriction_type = CollectionViewRestriction.GROUPS
    restriction.save()
    restriction.groups.add(committee)
    outsider, member = UserFactory(), UserFactory()
    member.groups.add(committee)

    client.force_login(outsider)
    assert client.get(minutes.url).status_code == 302
    client.force_login(member)
    assert content(client.get(minutes.url)) == MINUTES


@pytest.mark.django_db
def test_a_public_document_still_downloads_for_anyone(client):
    guide = get_document_model().objects.create(
        title="Guide", file=ContentFile(b"Guide public.", name="guide.txt")
    )
    response = client.get(guide.url)
    assert response.status_code == 200
    assert content(response) == b"Guide public."


def test_with_s3_documents_go_to_the_private_bucket_and_through_wagtails_view():
    out = settings_with(
        S3_ENV,
        "from cms.models import PrivateDocument\n"
        "storage = PrivateDocument._meta.get_field('file').storage\n"
        "out['bucket'] = storage.bucket_name\n"
        "out['signed'] = storage.querystring_auth\n",
    )
    assert out["bucket"] == "territoires-lab-private"
    assert out["signed"] is True
    assert out["WAGTAILDOCS_SERVE_METHOD"] == "serve_view"


# --- Documents of a public collection that private pages link to -------------------------


def page_linking_to(document, *, slug: str, restriction: str | None = None) -> StandardPage:
    link = f'<p><a linktype="document" id="{document.pk}">{document.title}</a></p>'
    page = HomePage.objects.get().add_child(
        instance=StandardPage(title=slug, slug=slug, body=[{"type": "paragraph", "value": link}])
    )
    if restriction:
        PageViewRestriction.objects.create(page=page, restriction_type=restriction)
    return page


@pytest.fixture
def board_minutes():
    """In the root collection, which has no restriction."""
    return get_document_model().objects.create(
        title="Compte rendu du bureau", file=ContentFile(MINUTES, name="bureau.txt")
    )


@pytest.mark.django_db
def test_a_document_only_private_pages_link_to_is_served_to_their_readers_only(
    client, board_minutes
):
    page_linking_to(board_minutes, slug="espace-membres", restriction="login")

    response = client.get(board_minutes.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=")
    client.force_login(UserFactory())
    assert content(client.get(board_minutes.url)) == MINUTES


@pytest.mark.django_db
def test_a_password_page_sends_to_its_password_form_first(client, board_minutes):
    page = page_linking_to(board_minutes, slug="jury", restriction="password")
    PageViewRestriction.objects.filter(page=page).update(password="mot-de-passe-du-jury")
    response = client.get(board_minutes.url)
    assert (response.status_code, response["Location"]) == (302, page.url)


@pytest.mark.django_db
def test_a_document_a_public_page_also_links_to_stays_public(client, board_minutes):
    page_linking_to(board_minutes, slug="espace-membres", restriction="login")
    page_linking_to(board_minutes, slug="ressources")
    assert content(client.get(board_minutes.url)) == MINUTES


@pytest.mark.django_db
def test_deleting_a_document_deletes_its_private_file(minutes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        minutes.delete()
    assert not storages["private"].exists(minutes.file.name)


def test_the_private_storage_can_be_handed_to_wagtails_file_deletion_task():
    """Wagtail enqueues the storage's deconstructed options: they must be JSON, with the
    production settings too (a path object there made every document deletion fail)."""
    out = settings_with(
        {},
        "from django.core.files.storage import storages\n"
        "from django_tasks.utils import normalize_json\n"
        "out['options'] = normalize_json(storages['private'].deconstruct())\n",
    )
    assert out["options"][2]["location"] == out["PRIVATE_MEDIA_ROOT"]


# --- Documents of an existing database (migration cms 0007) ------------------------------


@pytest.mark.django_db(transaction=True)
def test_existing_documents_move_to_the_private_storage_with_their_id_and_tags(
    settings, tmp_path, client
):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("documents/budget.txt", ContentFile(MINUTES))
    # A transactional test before this one may have flushed Wagtail's root collection.
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    before = [("cms", "0006_security_contact")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        graph = executor.loader.graph
        old_apps = executor.loader.project_state(
            before + graph.leaf_nodes("wagtaildocs") + graph.leaf_nodes("taggit")
        ).apps
        ContentType = old_apps.get_model("contenttypes", "ContentType")
        old = old_apps.get_model("wagtaildocs", "Document").objects.create(
            id=41, title="Budget", file=name, collection_id=root.pk
        )
        tag = old_apps.get_model("taggit", "Tag").objects.create(name="budget", slug="budget")
        old_apps.get_model("taggit", "TaggedItem").objects.create(
            tag=tag,
            object_id=old.pk,
            content_type=ContentType.objects.get(app_label="wagtaildocs", model="document"),
        )
    finally:  # the latest schema again, whatever happened: the next tests need it
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("cms"))

    document = PrivateDocument.objects.get(pk=41)
    assert (document.title, document.file.name) == ("Budget", name)
    assert list(document.tags.names()) == ["budget"]
    with storages["private"].open(name) as stored:
        assert stored.read() == MINUTES
    assert not default_storage.exists(name)
    assert content(client.get(document.url)) == MINUTES
    # The next upload takes a new id (PostgreSQL's sequence moved past the copied ones).
    assert PrivateDocument.objects.create(title="Suivant", file=ContentFile(b"x", "x.txt")).pk > 41
