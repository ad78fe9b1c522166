"""StandardPage.body becomes a StreamField of DSFR blocks.

Existing rich text (the legal pages exist on every database) becomes one
paragraph block, in pages and in their revisions (drafts the editors have not
published yet). Backwards, blocks become HTML again: paragraphs as they were,
headings as headings, and the text of every other block as paragraphs, so
that nothing written is lost.
"""

import json
import uuid
from html import escape

import wagtail.fields
from django.db import migrations


def _stream_from_html(html):
    return [{"type": "paragraph", "value": html, "id": str(uuid.uuid4())}] if html else []


def _texts(value):
    """Every string inside a block value, in order (for blocks HTML has no equivalent of)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def _html_from_stream(stream):
    parts = []
    for block in stream or []:
        kind, value = block.get("type"), block.get("value")
        if kind == "paragraph":
            parts.append(value or "")
        elif kind == "heading":
            level = "h3" if value.get("level") == "h3" else "h2"
            parts.append(f"<{level}>{escape(value.get('text', ''))}</{level}>")
        else:
            # Image and page ids are numbers, left out; the words are kept.
            parts.extend(f"<p>{escape(text)}</p>" for text in _texts(value))
    return "".join(parts)


def _revisions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    content_type = ContentType.objects.filter(app_label="cms", model="standardpage").first()
    if content_type is None:
        return Revision.objects.none()
    return Revision.objects.filter(content_type_id=content_type.pk)


def forwards(apps, schema_editor):
    StandardPage = apps.get_model("cms", "StandardPage")
    for page in StandardPage.objects.all():
        page.body = _stream_from_html(page.legacy_body)
        page.save(update_fields=["body"])
    for revision in _revisions(apps):
        body = revision.content.get("body")
        if isinstance(body, str) and not body.lstrip().startswith("["):
            revision.content["body"] = json.dumps(_stream_from_html(body))
            revision.save(update_fields=["content"])


def backwards(apps, schema_editor):
    StandardPage = apps.get_model("cms", "StandardPage")
    for page in StandardPage.objects.all():
        page.legacy_body = _html_from_stream(page.body.raw_data)
        page.save(update_fields=["legacy_body"])
    for revision in _revisions(apps):
        body = revision.content.get("body")
        if isinstance(body, str) and body.lstrip().startswith("["):
            revision.content["body"] = _html_from_stream(json.loads(body))
            revision.save(update_fields=["content"])


class Migration(migrations.Migration):

    dependencies = [
        ("cms", "0004_public_site_pages"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RenameField(model_name="standardpage", old_name="body", new_name="legacy_body"),
        migrations.AddField(
            model_name="standardpage",
            name="body",
            field=wagtail.fields.StreamField([('heading', 2), ('paragraph', 3), ('callout', 8), ('quote', 13), ('image', 16), ('accordions', 21), ('cards', 27), ('table', 34), ('key_figures', 39)], blank=True, block_lookup={0: ('wagtail.blocks.CharBlock', (), {'label': 'titre', 'max_length': 200}), 1: ('wagtail.blocks.ChoiceBlock', [], {'choices': [('h2', 'Titre de section (h2)'), ('h3', 'Sous-titre (h3)')], 'label': 'niveau'}), 2: ('wagtail.blocks.StructBlock', [[('text', 0), ('level', 1)]], {}), 3: ('cms.blocks.ParagraphBlock', (), {}), 4: ('wagtail.blocks.CharBlock', (), {'label': 'titre', 'max_length': 200, 'required': False}), 5: ('wagtail.blocks.TextBlock', (), {'label': 'texte'}), 6: ('wagtail.blocks.PageChooserBlock', (), {'label': 'page liée', 'required': False}), 7: ('wagtail.blocks.CharBlock', (), {'label': 'libellé du lien', 'max_length': 80, 'required': False}), 8: ('wagtail.blocks.StructBlock', [[('title', 4), ('text', 5), ('link_page', 6), ('link_label', 7)]], {}), 9: ('wagtail.blocks.TextBlock', (), {'label': 'citation'}), 10: ('wagtail.blocks.CharBlock', (), {'label': 'auteur ou autrice', 'max_length': 200, 'required': False}), 11: ('wagtail.blocks.CharBlock', (), {'label': 'source', 'max_length': 200, 'required': False}), 12: ('wagtail.blocks.URLBlock', (), {'label': 'lien vers la source', 'required': False}), 13: ('wagtail.blocks.StructBlock', [[('text', 9), ('author', 10), ('source', 11), ('source_url', 12)]], {}), 14: ('wagtail.images.blocks.ImageBlock', [], {'label': 'image'}), 15: ('wagtail.blocks.CharBlock', (), {'label': 'légende', 'max_length': 300, 'required': False}), 16: ('wagtail.blocks.StructBlock', [[('image', 14), ('caption', 15)]], {}), 17: ('wagtail.blocks.CharBlock', (), {'help_text': 'Facultatif ; affiché comme un titre de section (h2).', 'label': 'titre du groupe', 'max_length': 200, 'required': False}), 18: ('cms.blocks.ParagraphBlock', (), {'label': 'contenu'}), 19: ('wagtail.blocks.StructBlock', [[('title', 0), ('body', 18)]], {}), 20: ('wagtail.blocks.ListBlock', (19,), {'label': 'volets', 'min_num': 1}), 21: ('wagtail.blocks.StructBlock', [[('title', 17), ('items', 20)]], {}), 22: ('wagtail.blocks.PageChooserBlock', (), {'label': 'page'}), 23: ('wagtail.blocks.CharBlock', (), {'help_text': 'Laisser vide pour reprendre le titre de la page.', 'label': 'titre', 'max_length': 120, 'required': False}), 24: ('wagtail.blocks.TextBlock', (), {'help_text': 'Laisser vide pour reprendre le résumé de la page.', 'label': 'description', 'max_length': 200, 'required': False}), 25: ('wagtail.blocks.StructBlock', [[('page', 22), ('title', 23), ('description', 24)]], {}), 26: ('wagtail.blocks.ListBlock', (25,), {'label': 'cartes', 'min_num': 1}), 27: ('wagtail.blocks.StructBlock', [[('title', 4), ('cards', 26)]], {}), 28: ('wagtail.blocks.CharBlock', (), {'help_text': 'Décrit le contenu du tableau ; lu en premier par les lecteurs d’écran.', 'label': 'titre du tableau', 'max_length': 200}), 29: ('wagtail.blocks.CharBlock', (), {'label': 'cellule', 'max_length': 200}), 30: ('wagtail.blocks.ListBlock', (29,), {'label': 'ligne d’en-tête'}), 31: ('wagtail.blocks.CharBlock', (), {'label': 'cellule', 'max_length': 500, 'required': False}), 32: ('wagtail.blocks.ListBlock', (31,), {'label': 'ligne'}), 33: ('wagtail.blocks.ListBlock', (32,), {'label': 'lignes'}), 34: ('wagtail.blocks.StructBlock', [[('caption', 28), ('header', 30), ('rows', 33)]], {}), 35: ('wagtail.blocks.CharBlock', (), {'help_text': 'Par exemple : 42', 'label': 'chiffre', 'max_length': 20}), 36: ('wagtail.blocks.CharBlock', (), {'label': 'libellé', 'max_length': 120}), 37: ('wagtail.blocks.StructBlock', [[('value', 35), ('label', 36)]], {}), 38: ('wagtail.blocks.ListBlock', (37,), {'label': 'chiffres', 'max_num': 6, 'min_num': 1}), 39: ('wagtail.blocks.StructBlock', [[('title', 4), ('figures', 38)]], {})}, verbose_name='contenu'),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="standardpage", name="legacy_body"),
    ]
