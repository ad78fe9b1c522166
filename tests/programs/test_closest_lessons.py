"""« Ces territoires ont essayé quelque chose de proche » : the closest public lessons."""

import pytest

from incubator import services as incubator_services
from incubator.enums import Visibility
from programs import services
from tests.factories import StartupFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def lesson(title, body, *, startup=None, visibility=Visibility.PUBLIC, themes=()):
    return incubator_services.lesson_create(
        startup=startup or StartupFactory(),
        title=title,
        body=body,
        author=None,
        visibility=visibility,
        themes=themes,
    )


def test_the_matching_public_lesson_comes_first():
    lesson("Former les agents", "La formation à distance n’a pas pris.")
    close = lesson("Prise de rendez-vous", "Le guichet de l’état civil débordait d’usagers.")
    lesson("Un guichet numérique", "Les usagers préféraient le téléphone.")
    results = services.closest_lessons(
        "Les usagers attendent deux heures au guichet de l’état civil.", []
    )
    assert results[0] == close
    assert results[0].closeness > results[1].closeness
    assert len(results) == 2


def test_shared_themes_bring_lessons_closer():
    theme = ThemeFactory(name="Mobilité")
    by_word = lesson("Covoiturage rural", "Peu de conducteurs inscrits.")
    by_theme_and_word = lesson(
        "Transport à la demande", "Un covoiturage trop rigide.", themes=[theme]
    )
    results = services.closest_lessons("Covoiturage entre agents", [theme])
    assert results == [by_theme_and_word, by_word]


def test_a_private_lesson_never_shows():
    lesson("Guichet", "Le guichet débordait.", visibility=Visibility.PRIVATE)
    private_startup = StartupFactory(visibility=Visibility.PRIVATE)
    lesson("Guichet encore", "Le guichet débordait.", startup=private_startup)
    assert services.closest_lessons("guichet débordait", []) == []


def test_the_limit_and_an_empty_statement():
    for index in range(4):
        lesson(f"Guichet {index}", "Le guichet.")
    assert len(services.closest_lessons("guichet", [], limit=3)) == 3
    assert services.closest_lessons("", []) == []
