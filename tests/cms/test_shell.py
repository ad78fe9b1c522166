"""The DSFR shell: home page, error pages, footer links, languages, admin entry points."""

from django.core.management import CommandError, call_command
from django.urls import reverse

from wagtail.models import Site

import pytest

from cms.models import HomePage, SiteIdentity, StandardPage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False
    return Site.objects.get(is_default_site=True)


def test_the_site_root_is_our_home_page():
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)


def test_home_page_is_a_french_dsfr_page_with_header_and_footer(client, demo_site):
    response = client.get("/")
    html = response.text
    assert response.status_code == 200
    assert '<html lang="fr"' in html
    assert 'class="fr-header"' in html and 'class="fr-footer"' in html
    assert 'href="#content"' in html and 'id="content"' in html  # skip link target
    assert "Territoires Lab" in html
    assert "/static/dsfr/dist/dsfr/dsfr.min.css" in html  # served locally, not from a CDN
    for label in [
        "Accessibilité : non conforme",
        "Mentions légales",
        "Données personnelles",
        "Plan du site",
    ]:
        assert label in html


def test_footer_links_lead_to_the_legal_pages(client, demo_site):
    identity = SiteIdentity.for_site(demo_site)
    html = client.get("/").text
    for page in [
        identity.accessibility_page,
        identity.legal_notice_page,
        identity.personal_data_page,
        identity.sitemap_page,
    ]:
        assert f'href="{page.url}"' in html
        assert client.get(page.url).status_code == 200


def test_operator_identity_comes_from_site_settings(client, demo_site):
    identity = SiteIdentity.for_site(demo_site)
    identity.service_name = "Fabrique numérique du Pas-de-Calais"
    identity.state_brand = False
    identity.save()
    html = client.get("/").text
    assert "Fabrique numérique du Pas-de-Calais" in html
    assert "fr-logo" not in html


def test_site_map_lists_public_pages(client, demo_site):
    identity = SiteIdentity.for_site(demo_site)
    html = client.get(identity.sitemap_page.url).text
    assert "Mentions légales" in html and "Déclaration d’accessibilité" in html


def test_404_uses_the_dsfr_shell(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page non trouvée" in response.text
    assert 'class="fr-header"' in response.text


def test_500_page_renders_without_a_request_context():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "Erreur inattendue" in html and "fr-footer" in html


def test_403_uses_the_dsfr_shell(rf):
    from django.views.defaults import permission_denied

    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = permission_denied(request, exception=None)
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_english_is_available_through_the_switcher(client, demo_site):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").text
    assert '<html lang="en"' in html
    assert "Legal notice" in html and "Sign in" in html


def test_browser_language_does_not_override_french(client, demo_site):
    html = client.get("/", headers={"accept-language": "en-US,en;q=0.9"}).text
    assert '<html lang="fr"' in html and "Se connecter" in html


def test_wagtail_admin_login_goes_through_allauth(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    response = client.get("/admin/login/")
    assert response.url.startswith(reverse("account_login"))


def test_django_admin_is_for_superusers_only(client, settings):
    admin_path = "/" + settings.DJANGO_ADMIN_PATH
    staff = UserFactory(role="staff", is_staff=True, email="staff@demo.example")
    settings.MFA_EXEMPT_DEMO_ACCOUNTS = True
    client.force_login(staff)
    response = client.get(admin_path)
    assert response.status_code == 302 and "login" in response.url
    superuser = UserFactory(superuser=True, email="root@demo.example")
    client.force_login(superuser)
    assert client.get(admin_path).status_code == 200


def test_editor_reaches_the_wagtail_admin(client):
    from django.contrib.auth.models import Group

    editor = UserFactory(editor=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200
    agent = UserFactory()
    client.force_login(agent)
    assert client.get("/admin/").status_code == 302


def test_seed_demo_is_idempotent_and_creates_one_login_per_role(demo_site, settings, client):
    from accounts.models import User

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    emails = set(User.objects.values_list("email", flat=True))
    assert {
        "admin@demo.example",
        "coach@demo.example",
        "agent@demo.example",
        "territoire@demo.example",
    } <= emails
    count_after_first_run = User.objects.count()
    call_command("seed_demo", verbosity=0)
    assert User.objects.count() == count_after_first_run  # idempotent
    # Only the published demo logins can log in; demo team members cannot.
    assert sorted(u.email for u in User.objects.all() if u.has_usable_password()) == sorted(
        [
            "admin@demo.example",
            "coach@demo.example",
            "agent@demo.example",
            "territoire@demo.example",
            "editeur@demo.example",
        ]
    )
    assert StandardPage.objects.count() == 4  # legal pages + « À propos »
    settings.DEBUG = False
    for email in ["agent@demo.example", "territoire@demo.example"]:
        assert client.login(email=email, password="demo-demo-demo")


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


def test_the_main_menu_follows_the_editors_pages(client):
    """The menu is remembered, and still follows a page published, unpublished or deleted."""
    home = Site.objects.get(is_default_site=True).root_page
    assert "À propos du réseau" not in client.get("/").text
    about = home.add_child(
        instance=StandardPage(title="À propos du réseau", slug="a-propos", show_in_menus=True)
    )
    about.save_revision().publish()
    assert 'href="/a-propos/"' in client.get("/").text
    about.unpublish()
    assert 'href="/a-propos/"' not in client.get("/").text
    about.save_revision().publish()
    assert 'href="/a-propos/"' in client.get("/").text
    about.delete()
    assert 'href="/a-propos/"' not in client.get("/").text
