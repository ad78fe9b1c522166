"""Wagtail documents, kept in the private storage.

Wagtail's own document model stores files in the public media storage (`MEDIA_ROOT`, or
the public bucket), where anyone with the path reads a document of a private collection.
Here the file sits in `STORAGES["private"]`, never under a URL: the only way in is
Wagtail's serve view (its choice for files on disk; `WAGTAILDOCS_SERVE_METHOD` says so for
S3), which checks the collection's view restrictions, and cms.wagtail_hooks those of the
pages linking to it. Images stay public: they illustrate public pages.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.documents.models import AbstractDocument
from wagtail.documents.models import Document as WagtailDocument

from incubator.models import private_storage


class PrivateDocument(AbstractDocument):
    """A document of the site (WAGTAILDOCS_DOCUMENT_MODEL), its file in private storage."""

    file = models.FileField(
        _("fichier"), storage=private_storage, upload_to="documents", max_length=255
    )

    admin_form_fields = WagtailDocument.admin_form_fields

    class Meta(AbstractDocument.Meta):
        verbose_name = _("document")
        verbose_name_plural = _("documents")
