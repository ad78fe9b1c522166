"""Wagtail documents move to cms.PrivateDocument, whose files are in the private storage.

Each document keeps its id (so links in pages and rich text still point to it), title,
collection, tags, uploader, dates, history and references; its file is copied from the
public media storage to the private one under the same name, and the public copy is
deleted once the migration has committed (a rolled-back migration loses nothing).
The admin's document search is derived data: `manage.py update_index` rebuilds it.
Backwards, the same in the other direction.
"""

import django.db.models.deletion
from django.conf import settings
from django.core.files.storage import storages
from django.core.management.color import no_style
from django.db import migrations, models, transaction

import wagtail.models.media

import modelsearch.index
import taggit.managers

import incubator.models

# Tables that point to a document by content type and id.
CONTENT_TYPE_COLUMNS = [
    ("taggit", "TaggedItem", ["content_type"]),
    ("wagtailcore", "ReferenceIndex", ["content_type", "base_content_type", "to_content_type"]),
    ("wagtailcore", "ModelLogEntry", ["content_type"]),
]
FIELDS = [
    "id",
    "title",
    "uploaded_by_user_id",
    "collection_id",
    "file_size",
    "file_hash",
]


def _move(apps, schema_editor, *, source, target, from_storage, to_storage):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Source = apps.get_model(*source)
    Target = apps.get_model(*target)
    documents = list(Source.objects.all())
    if not documents:
        return
    from_files, to_files = storages[from_storage], storages[to_storage]
    moved = []
    for document in documents:
        name = document.file.name
        if name and from_files.exists(name):
            # A copy of the same size is this migration's own, from an attempt rolled back.
            if not (to_files.exists(name) and to_files.size(name) == from_files.size(name)):
                with from_files.open(name, "rb") as content:
                    name = to_files.save(name, content)  # the same name, unless it is taken
            moved.append(document.file.name)
        Target.objects.create(file=name, **{field: getattr(document, field) for field in FIELDS})
        # `created_at` is set on creation (auto_now_add): the original date is put back.
        Target.objects.filter(pk=document.pk).update(created_at=document.created_at)
    Source.objects.all().delete()
    # Rows came with their ids: PostgreSQL's sequence must start after them.
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [Target]):
            cursor.execute(sql)
    old_type, _ = ContentType.objects.get_or_create(app_label=source[0], model=source[1].lower())
    new_type, _ = ContentType.objects.get_or_create(app_label=target[0], model=target[1].lower())
    for app_label, model_name, columns in CONTENT_TYPE_COLUMNS:
        model = apps.get_model(app_label, model_name)
        for column in columns:
            model.objects.filter(**{f"{column}_id": old_type.pk}).update(
                **{f"{column}_id": new_type.pk}
            )
    transaction.on_commit(lambda: [from_files.delete(name) for name in moved])


def forwards(apps, schema_editor):
    _move(
        apps,
        schema_editor,
        source=("wagtaildocs", "Document"),
        target=("cms", "PrivateDocument"),
        from_storage="default",
        to_storage="private",
    )


def backwards(apps, schema_editor):
    _move(
        apps,
        schema_editor,
        source=("cms", "PrivateDocument"),
        target=("wagtaildocs", "Document"),
        from_storage="private",
        to_storage="default",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0006_security_contact"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("wagtailcore", "0098_apitoken"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="PrivateDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=255, verbose_name="title")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("file_size", models.PositiveBigIntegerField(editable=False, null=True)),
                ("file_hash", models.CharField(blank=True, editable=False, max_length=40)),
                (
                    "file",
                    models.FileField(
                        max_length=255,
                        storage=incubator.models.private_storage,
                        upload_to="documents",
                        verbose_name="fichier",
                    ),
                ),
                (
                    "collection",
                    models.ForeignKey(
                        default=wagtail.models.media.get_root_collection_id,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="wagtailcore.collection",
                        verbose_name="collection",
                    ),
                ),
                (
                    "tags",
                    taggit.managers.TaggableManager(
                        blank=True,
                        help_text=None,
                        through="taggit.TaggedItem",
                        to="taggit.Tag",
                        verbose_name="tags",
                    ),
                ),
                (
                    "uploaded_by_user",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="uploaded by user",
                    ),
                ),
            ],
            options={
                "verbose_name": "document",
                "verbose_name_plural": "documents",
                "abstract": False,
            },
            bases=(modelsearch.index.Indexed, models.Model),
        ),
        migrations.RunPython(forwards, backwards),
    ]
