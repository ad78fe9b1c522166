"""A strict Content-Security-Policy on every response, and templates that need nothing inline."""

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.urls import reverse

import pytest

from cms.models import StartupDirectoryPage
from config.csp import JCROP_TOUCH_PROBE, nonce_wagtail_initialisers, origin
from incubator.enums import MembershipRole
from incubator.models import Membership
from tests.cms.test_pages import make_image
from tests.factories import StartupFactory, UserFactory
from tests.test_scaling_settings import S3_ENV, settings_with

pytestmark = pytest.mark.django_db

UNSAFE = {"'unsafe-inline'", "'unsafe-eval'"}
# Script types a browser runs; JSON data blocks (json_script) are never executed.
EXECUTABLE_SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def assert_strict(response) -> dict[str, list[str]]:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'"
    assert not UNSAFE & set(directives["script-src"])
    # No looser script rule hidden in the directives that override script-src.
    assert "script-src-elem" not in directives and "script-src-attr" not in directives
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    return directives


class InlineCode(HTMLParser):
    """What a strict policy blocks in HTML: inline scripts without a nonce, event handler
    attributes, javascript: URLs, style attributes and <style> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        line = self.getpos()[0]
        if tag == "script" and "src" not in attributes and "nonce" not in attributes:
            if (attributes.get("type") or "").lower() in EXECUTABLE_SCRIPT_TYPES:
                self.found.append(f"line {line}: inline <script>")
        if tag == "style":
            self.found.append(f"line {line}: <style> element")
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"line {line}: {name}= handler")
            elif name == "style":
                self.found.append(f"line {line}: style= attribute")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"line {line}: javascript: URL")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def our_templates() -> list[Path]:
    """Every template of the project (not of installed packages)."""
    base = Path(django_settings.BASE_DIR)
    folders = [base / "templates"] + [
        Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(base) and ".venv" not in Path(app.path).parts
    ]
    return sorted(
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.suffix in {".html", ".svg", ".xml"}
    )


# --- Our templates -------------------------------------------------------------------


def test_our_templates_hold_no_inline_script_handler_or_style():
    templates = our_templates()
    assert len(templates) > 50  # the whole project, not an empty folder
    found = {
        str(path.relative_to(django_settings.BASE_DIR)): problems
        for path in templates
        if (problems := inline_code(path.read_text()))
    }
    assert found == {}, "Move these to static files (the CSP blocks them): " + repr(found)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>document.title = 'x';</script>",
        '<script type="text/javascript">go()</script>',
        '<button onclick="go()">Go</button>',
        '<body onload="go()">',
        '<a href="javascript:go()">Go</a>',
        '<div style="width: 40%"></div>',
        "<style>p { color: red; }</style>",
    ],
)
def test_the_template_scan_catches_what_the_policy_blocks(snippet):
    assert inline_code(f"{{% load i18n %}}<div>{snippet}</div>") != []


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/report-status.js" defer></script>',
        '<script id="data" type="application/json">{"a": 1}</script>',
        '<script nonce="{{ request.csp_nonce }}">go()</script>',
        '<a href="/online/">En ligne</a>',
    ],
)
def test_the_template_scan_lets_files_data_and_nonces_through(snippet):
    assert inline_code(snippet) == []


# --- The header on each part of the site ------------------------------------------------


def test_a_public_page_has_the_strict_policy_also_when_served_from_the_cache(client):
    StartupFactory(name="Cantine Ouverte")
    url = StartupDirectoryPage.objects.get().url
    first, cached = client.get(url), client.get(url)
    assert cached["X-Cache"] == "hit"
    for response in (first, cached):
        directives = assert_strict(response)
        assert directives["style-src"] == ["'self'"]
        assert "style-src-elem" not in directives  # the admin's relaxation stays there
        assert directives["img-src"] == ["'self'", "data:"]
        assert directives["form-action"] == ["'self'"]
    assert inline_code(first.text) == []


def test_a_workspace_page_has_the_strict_policy_and_its_progress_bar_needs_no_style(client):
    agent = UserFactory()
    startup = StartupFactory(name="Cantine Locale")
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    client.force_login(agent)
    response = client.get(reverse("workspace:startup_detail", args=[startup.slug]))
    assert response.status_code == 200
    assert 'role="progressbar"' in response.text
    assert_strict(response)
    assert inline_code(response.text) == []


def test_the_api_has_the_strict_policy(client):
    response = client.get(reverse("api:startup-list"))
    assert response.status_code == 200
    assert_strict(response)


def test_swagger_ui_may_use_its_own_style_element_and_nothing_else(client):
    response = client.get(reverse("api:docs"))
    directives = assert_strict(response)
    (style,) = re.findall(r"<style>(.*?)</style>", response.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert directives["style-src-elem"] == ["'self'", f"'sha256-{digest}'"]


@pytest.fixture
def staff_client(client, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    client.force_login(UserFactory(superuser=True))
    return client


@pytest.mark.parametrize(
    "url_name",
    [
        "wagtailadmin_home",
        # Snippet choosers and date pickers, each started by an inline script.
        "wagtailsnippets_incubator_sponsorship:add",
        # An inline panel, whose empty form holds the scripts of the forms added later.
        "wagtailadmin_workflows:add",
    ],
)
def test_the_wagtail_admin_runs_its_own_initialisers_by_nonce_only(staff_client, url_name):
    response = staff_client.get(reverse(url_name))
    assert response.status_code == 200
    directives = assert_strict(response)
    nonces = [source for source in directives["script-src"] if source.startswith("'nonce-")]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
    if url_name != "wagtailadmin_home":
        assert len(nonces) == 1 and inline
        nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
        assert all(
            f'nonce="{nonce}"' in attributes or "json" in attributes for attributes in inline
        )
    # Only Draftail's <style> elements and upload thumbnails are let through.
    assert directives["style-src"] == ["'self'"]
    assert directives["style-src-elem"] == ["'self'", "'unsafe-inline'"]
    assert "blob:" in directives["img-src"]


# Wagtail leaves the buffer of each new rendition for the garbage collector.
@pytest.mark.filterwarnings("ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning")
def test_only_the_image_edit_page_lets_the_focal_point_choosers_touch_probe_run(
    staff_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    image = make_image()
    # The exact handler Jcrop sets (a new Wagtail release may change it: update the hash).
    jcrop = Path(finders.find("wagtailimages/js/vendor/jquery.Jcrop.min.js")).read_text()
    assert f'setAttribute(r,"{JCROP_TOUCH_PROBE}")' in jcrop
    probe_hash = "'sha256-" + base64.b64encode(hashlib.sha256(b"return;").digest()).decode() + "'"

    edit = staff_client.get(reverse("wagtailimages:edit", args=[image.pk]))
    assert edit.status_code == 200
    script_src = assert_strict(edit)["script-src"]
    assert script_src[-2:] == ["'unsafe-hashes'", probe_hash]
    assert not UNSAFE & set(script_src)

    for url in (
        reverse("wagtailimages:index"),
        reverse("wagtailsnippets_incubator_sponsorship:add"),
    ):
        script_src = policy(staff_client.get(url))["script-src"]
        assert "'unsafe-hashes'" not in script_src and probe_hash not in script_src


@pytest.mark.parametrize(
    "script",
    [
        "alert(document.cookie)",
        # A real initialiser with code after it, or hidden in its arguments.
        'initDateChooser("id_date", {}); alert(1);',
        'initDateChooser("id_date", {}); alert(1); ({});',
        'new PageChooser("id_page", {"modalUrl": "/admin/choose-page/"}) || alert(1);',
        'new PageChooser("id_page", alert(1));',
        '(function() { var panel = new InlinePanel(JSON.parse("x"), alert(1), ("")); })();',
        # Would make the browser end the script later than where it was checked.
        'initDateChooser("<!--<script>", {});',
    ],
)
def test_an_injected_script_never_gets_the_nonce(script):
    html = f"<p>Avant</p><script>{script}</script>"
    assert nonce_wagtail_initialisers(html, "n0nce") == html


def test_wagtail_initialisers_with_data_arguments_get_the_nonce():
    html = (
        '<script>initDateChooser("id_date", {"dayOfWeekStart": 1, "format": "Y-m-d"});</script>'
        '<script>createTaskChooser("id_tasks-0-task");</script>'
    )
    assert nonce_wagtail_initialisers(html, "n0nce").count('<script nonce="n0nce">') == 2


# --- Forms that leave the site ---------------------------------------------------------


def test_forms_may_lead_to_stripe_checkout_and_proconnect_only_once_configured(client, settings):
    url = StartupDirectoryPage.objects.get().url
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    assert policy(client.get(url))["form-action"] == ["'self'"]

    settings.STRIPE_SECRET_KEY = "sk_live_example"
    settings.STRIPE_API_BASE = ""
    settings.PROCONNECT_CLIENT_ID = "territoires-lab"
    settings.PROCONNECT_SERVER_URL = "https://auth.agentconnect.gouv.fr/api/v2"
    assert policy(client.get(url))["form-action"] == [
        "'self'",
        "https://auth.agentconnect.gouv.fr",
        "https://checkout.stripe.com",
    ]


# --- Images in an S3 bucket ------------------------------------------------------------

MEDIA_URL_AND_IMG_SRC = """
from django.core.files.storage import storages
out["media_url"] = storages["default"].url("images/logo.png")
out["img_src"] = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
"""
AWS_ENV = {
    **{name: value for name, value in S3_ENV.items() if name != "AWS_S3_ENDPOINT_URL"},
    "AWS_S3_REGION_NAME": "eu-west-3",
}


@pytest.mark.parametrize(
    "env",
    [
        S3_ENV,
        {**S3_ENV, "AWS_S3_ADDRESSING_STYLE": "virtual"},
        {**S3_ENV, "AWS_S3_CUSTOM_DOMAIN": "media.territoires-lab.example.org"},
        AWS_ENV,
        {**AWS_ENV, "AWS_S3_ADDRESSING_STYLE": "virtual"},
    ],
    ids=["path-style", "virtual-host", "custom-domain", "aws", "aws-virtual-host"],
)
def test_uploaded_images_served_from_a_bucket_are_allowed(env):
    out = settings_with(env, MEDIA_URL_AND_IMG_SRC)
    assert origin(out["media_url"]) in out["img_src"], out["media_url"]
