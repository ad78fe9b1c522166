"""No private record on any public surface: pages, search, feeds, sitemap, API, CSV.

The test does not list the public URLs: it crawls them as an anonymous
visitor would, from the home page, the sitemap, robots.txt, the feeds the
pages announce and the open-data API's description, and reads every
response for the names of private records.
"""

import datetime
import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.core.management import call_command

import pytest

from incubator import services
from incubator.enums import FailureReason, FailureScope, Visibility
from incubator.models import Indicator, Measurement
from tests.factories import StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Zorglub"  # every private record below carries this word
PRIVATE_PREFIXES = ("/espace/", "/comptes/", "/admin/", "/django-admin/", "/i18n/")
MAX_URLS = 400
D = datetime.date


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.urls.append(attributes["href"])
        if tag == "link" and attributes.get("rel") in {"alternate", "canonical"}:
            self.urls.append(attributes.get("href") or "")
        if tag == "form" and (attributes.get("method") or "get").lower() == "get":
            # Search forms: try them with the secret word as the query.
            action = attributes.get("action") or ""
            self.urls.append(f"{action}?q={SECRET}&recherche={SECRET}")


def secret_world():
    coach = UserFactory(coach=True)
    territory = TerritoryFactory(name="Ville de Lumière")
    shown = StartupFactory(name="Cantine Ouverte", started_on=D(2024, 1, 10))
    shown.sponsors.add(territory)
    hidden = StartupFactory(
        name=f"Startup {SECRET} privée",
        visibility=Visibility.PRIVATE,
        incubator=shown.incubator,
        started_on=D(2024, 1, 10),
    )
    hidden.sponsors.add(territory)
    for startup in (shown, hidden):
        public = Indicator.objects.create(startup=startup, name="Usagers servis", unit="usagers")
        private = Indicator.objects.create(
            startup=startup, name=f"Coût {SECRET}", unit="euros", is_public=False
        )
        for indicator in (public, private):
            Measurement.objects.create(indicator=indicator, date=D(2025, 3, 1), value=12)
        services.lesson_create(
            startup=startup,
            author=coach,
            title=f"Leçon {SECRET} réservée",
            body="Seulement pour l’équipe.",
            visibility=Visibility.PRIVATE,
        )
        services.lesson_create(
            startup=startup,
            author=coach,
            title="Leçon partagée" if startup is shown else f"Leçon publique de {SECRET}",
            body="Pour tout le monde.",
            visibility=Visibility.PUBLIC,
        )
        # A failure the team did not agree to publish: its lesson stays private too.
        services.failure_record(
            startup=startup,
            scope=FailureScope.STARTUP,
            reason=FailureReason.NO_USER_NEED,
            occurred_on=D(2025, 2, 1),
            author=coach,
            what_we_learned=f"Échec {SECRET} non consenti",
            why_we_stop="Le besoin n’était pas confirmé.",
            advice_for_relaunch="Observer avant de construire.",
            publication_consent=False,
            lessons=[
                {"title": f"Leçon d’échec {SECRET}", "body": "Non publiée.", "visibility": "public"}
            ],
        )
    return shown, hidden


def crawl(client, seeds):
    seen, queue, bodies = set(), deque(seeds), {}
    while queue and len(seen) < MAX_URLS:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc not in {"", "testserver"}:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen or parts.path.startswith(PRIVATE_PREFIXES) or "/pdf" in parts.path:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code in {301, 302}:
            queue.append(urljoin(path, response["Location"]))
            continue
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        bodies[path] = (response.status_code, text)
        kind = response.get("Content-Type", "")
        if "html" in kind:
            parser = Links()
            parser.feed(text)
            queue.extend(urljoin(path, link) for link in parser.urls if link)
        elif "xml" in kind or "text/plain" in kind:
            queue.extend(re.findall(r"https?://testserver[^\s<\"']+", text))
            queue.extend(re.findall(r"<link>([^<]+)</link>", text))
        elif "json" in kind:
            queue.extend(re.findall(r"\"(https?://testserver[^\"]+|/[^\"\s]*)\"", text))
    return bodies


def api_seeds(client) -> list[str]:
    """Every parameter-free path of the open-data API, from its OpenAPI description."""
    response = client.get("/api/v1/schema/", {"format": "json"})
    if response.status_code != 200:
        return []
    paths = json.loads(response.content)["paths"]
    return [f"/api/v1{p}" if not p.startswith("/api/") else p for p in paths if "{" not in p]


def test_no_private_record_reaches_any_public_surface(client, settings):
    settings.DEBUG = True  # the demo loader refuses otherwise
    call_command("seed_demo", verbosity=0)
    shown, hidden = secret_world()

    seeds = ["/", "/sitemap.xml", "/robots.txt", *api_seeds(client)]
    bodies = crawl(client, seeds)

    assert len(bodies) > 30, sorted(bodies)  # the crawl found the site
    leaks = {path: status for path, (status, text) in bodies.items() if SECRET in text}
    # A search for the secret word may echo the query back, never a private record.
    leaks = {
        path: status
        for path, status in leaks.items()
        if SECRET in re.sub(rf"(value=\"|q=|recherche=){SECRET}", "", bodies[path][1])
    }
    assert leaks == {}, f"private data on public pages: {leaks}"
    assert any(shown.name in text for _status, text in bodies.values())
    assert not any(status >= 500 for status, _text in bodies.values()), [
        path for path, (status, _text) in bodies.items() if status >= 500
    ]
    # Asked for directly, the private startup does not exist publicly.
    for url in (f"/startups/{hidden.slug}/", f"/api/v1/startups/{hidden.slug}/"):
        assert client.get(url).status_code == 404, url
