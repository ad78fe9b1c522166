"""Wagtail hooks of the public site."""

from django.shortcuts import redirect

from wagtail import hooks
from wagtail.models import BaseViewRestriction, Page, ReferenceIndex
from wagtail.wagtail_hooks import require_wagtail_login


def _live_pages_linking_to(document) -> list[Page] | None:
    """The live pages that link to `document`, or None when something other than a page
    (a snippet, a setting…) links to it, whose privacy we cannot tell."""
    pages = []
    for source, _references in ReferenceIndex.get_grouped_references_to(document):
        if not isinstance(source, Page):
            return None
        if source.live:
            pages.append(source)
    return pages


@hooks.register("before_serve_document")
def check_linking_pages_privacy(document, request):
    """A document of a public collection that only private pages link to is as private
    as those pages: served to whoever may read one of them, refused to anyone else.

    Wagtail itself checks the document's collection only (its own hook); a page made
    private must not leave the files it links to readable by their URL.
    """
    pages = _live_pages_linking_to(document)
    if not pages:
        return None
    restrictions = [page.get_view_restrictions() for page in pages]
    if any(
        all(restriction.accept_request(request) for restriction in page_restrictions)
        for page_restrictions in restrictions
    ):
        return None  # a public page links to it, or this visitor may read a private one
    for page, page_restrictions in zip(pages, restrictions, strict=True):
        if any(r.restriction_type == BaseViewRestriction.PASSWORD for r in page_restrictions):
            return redirect(page.url)  # the page asks for its password, then links back
    return require_wagtail_login(next=request.get_full_path())
