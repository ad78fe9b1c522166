"""DSFR markup rules our templates must follow, read from the template sources."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = ["templates", "accounts", "incubator", "programs", "cms"]

GROUP = re.compile(r'<ul class="(fr-btns-group[^"]*)"[^>]*>(.*?)</ul>', re.S)


def template_files():
    for folder in TEMPLATE_DIRS:
        yield from (ROOT / folder).rglob("*.html")


def test_icon_buttons_in_a_button_group_keep_their_label():
    """In a `fr-btns-group`, DSFR shows a button with an icon as the icon alone (40 px
    wide, label hidden) unless the group itself says where icons go."""
    offenders = []
    for path in template_files():
        for classes, body in GROUP.findall(path.read_text()):
            labelled_icon = "fr-btn--icon-left" in body or "fr-btn--icon-right" in body
            if labelled_icon and "fr-btns-group--icon-" not in classes:
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
