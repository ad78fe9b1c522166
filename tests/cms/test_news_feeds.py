"""News: the paginated index, its RSS 2.0 and Atom feeds, and their discovery links."""

import xml.etree.ElementTree as ET

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from cms.models import NewsIndexPage
from tests.cms.test_pages import home_page, make_image, make_news, make_news_index

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings(
        "ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning"
    ),
]

ATOM = "{http://www.w3.org/2005/Atom}"


def parse_feed(response) -> ET.Element:
    assert response.status_code == 200
    return ET.fromstring(response.content)  # noqa: S314 - our own server's output


@pytest.fixture
def news_index():
    index = make_news_index()
    for days_ago in (10, 0, 5):
        make_news(index, f"Nouvelle d’il y a {days_ago} jours", days_ago=days_ago)
    make_news(index, "Brouillon à ne pas diffuser", live=False)
    return index


def test_the_rss_feed_is_valid_rss_2_with_the_published_news_newest_first(client, news_index):
    response = client.get(f"{news_index.url}flux/rss/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = parse_feed(response)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "Actualités"
    assert channel.findtext("link") == "http://testserver/actualites/"
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [
        "Nouvelle d’il y a 0 jours",
        "Nouvelle d’il y a 5 jours",
        "Nouvelle d’il y a 10 jours",
    ]
    first = items[0]
    assert first.findtext("link").startswith("http://testserver/actualites/")
    assert first.findtext("description") == "Résumé de « Nouvelle d’il y a 0 jours »."
    assert first.findtext("pubDate")


def test_the_atom_feed_is_valid_atom_with_the_same_news(client, news_index):
    response = client.get(f"{news_index.url}flux/atom/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = parse_feed(response)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}subtitle") == "Les nouvelles."
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "http://testserver/actualites/flux/atom/"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    assert "Brouillon" not in response.text
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated") and entry.findtext(f"{ATOM}id")


def test_an_empty_index_still_serves_valid_feeds(client):
    index = make_news_index()
    for route in ("flux/rss/", "flux/atom/"):
        parse_feed(client.get(f"{index.url}{route}"))
    assert "Aucune actualité n’a encore été publiée." in client.get(index.url).text


def test_feeds_are_announced_in_the_head_of_news_pages_and_the_home_page(client, news_index):
    rss = '<link rel="alternate" type="application/rss+xml"'
    atom = '<link rel="alternate" type="application/atom+xml"'
    item = news_index.get_children().live().first()
    for url in [news_index.url, item.url, "/"]:
        html = client.get(url).text
        head = html.split("</head>")[0]
        assert rss in head and atom in head, url
        assert 'href="/actualites/flux/rss/"' in head


def test_the_index_is_paginated(client):
    index = make_news_index()
    for days_ago in range(NewsIndexPage.PAGE_SIZE + 2):
        make_news(index, f"Nouvelle {days_ago:02d}", days_ago=days_ago)
    first = client.get(index.url)
    assert len(first.context["news"].object_list) == NewsIndexPage.PAGE_SIZE
    assert "fr-pagination" in first.text
    second = client.get(index.url, {"page": 2})
    assert [page.title for page in second.context["news"]] == ["Nouvelle 12", "Nouvelle 13"]
    # A page number out of range or not a number shows a page, never an error.
    assert client.get(index.url, {"page": 99}).status_code == 200
    assert client.get(index.url, {"page": "abc"}).status_code == 200


@pytest.mark.usefixtures("uncached_pages")
def test_news_cards_show_their_image_and_cost_constant_queries(
    client, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    index = make_news_index()
    image = make_image()
    for days_ago in range(2):
        make_news(index, f"Nouvelle {days_ago}", days_ago=days_ago, image=image)
    client.get(index.url)  # renditions are generated once
    with CaptureQueriesContext(connection) as queries:
        html = client.get(index.url).text
    budget = len(queries)
    assert html.count('class="fr-card__img"') == 2
    for days_ago in range(2, 12):
        make_news(index, f"Nouvelle {days_ago}", days_ago=days_ago, image=image)
    client.get(index.url)
    with django_assert_max_num_queries(budget):
        html = client.get(index.url).text
    assert html.count('class="fr-card__img"') == 12


def test_a_news_page_shows_its_date_image_and_body(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    index = make_news_index(home_page())
    page = make_news(index, "Inauguration", image=make_image("Ruban", description="Un ruban"))
    html = client.get(page.url).text
    assert "<h1>Inauguration</h1>" in html
    assert "Publié le" in html and "<time datetime=" in html
    assert 'alt="Un ruban"' in html
    assert "Le texte de « Inauguration »." in html
    assert f'href="{index.url}"' in html
