"""Static files as production serves them: hashed and rewritten by the manifest storage."""

import base64
import hashlib
import re

from django.contrib.staticfiles import storage as static_storage
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.management import call_command

import pytest

pytestmark = pytest.mark.django_db

ASSET = re.compile(
    r'<(?:link|script)[^>]*?(?:href|src)="(?P<url>/static/[^"]+)"(?P<rest>[^>]*)>', re.S
)
INTEGRITY = re.compile(r'integrity="(sha384-[^"]+)"')


def test_the_styles_and_scripts_of_a_page_load_in_production(
    client, settings, tmp_path, monkeypatch
):
    """A browser refuses a file whose integrity hash does not match: with the manifest
    storage rewriting DSFR's CSS (its url()s get hashed names), django-dsfr's published
    hashes no longer matched and production pages showed without any style."""
    # The production storage, swapped in without touching STORAGES: changing that
    # setting would rebuild every storage, and FileFields keep the ones they were given.
    manifest = ManifestStaticFilesStorage(location=tmp_path, base_url=settings.STATIC_URL)
    monkeypatch.setattr(static_storage.staticfiles_storage, "_wrapped", manifest)
    call_command("collectstatic", interactive=False, verbosity=0)
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0

    html = client.get("/").content.decode()
    assets = {match["url"]: match["rest"] for match in ASSET.finditer(html)}
    assert any("dsfr.min" in url and url.endswith(".css") for url in assets), assets
    for url, rest in assets.items():
        path = tmp_path / url.removeprefix("/static/")
        assert path.is_file(), url
        if integrity := INTEGRITY.search(rest):
            digest = hashlib.sha384(path.read_bytes()).digest()
            assert integrity[1] == "sha384-" + base64.b64encode(digest).decode(), url
