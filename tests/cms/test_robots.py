"""robots.txt lets crawlers read the public site, not the private spaces."""

import pytest

pytestmark = pytest.mark.django_db


def test_robots_txt_points_to_the_sitemap_and_keeps_private_spaces_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    for private in ("/espace/", "/comptes/", "/admin/"):
        assert f"Disallow: {private}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
