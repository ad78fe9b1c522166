"""French plural rule for our French message ids: zero is singular in French."""

from django.utils.translation import ngettext, override


def test_zero_takes_the_singular_in_french_and_the_plural_in_english():
    singular = "%(succeeded)s a été transférée ou opérée."
    plural = "%(succeeded)s ont été transférées ou opérées."
    with override("fr"):
        assert ngettext(singular, plural, 0) == singular
        assert ngettext(singular, plural, 2) == plural
    with override("en"):
        assert ngettext(singular, plural, 0) == "%(succeeded)s were transferred or operated."
