"""The Content-Security-Policy header, from settings.CONTENT_SECURITY_POLICY (django-csp).

What the settings cannot say statically is added here, per response:
- the external sites our forms lead to: a form posted to our login or payment view is
  redirected to ProConnect or Stripe Checkout, and browsers apply `form-action` to
  that redirect too;
- a view that lets same-origin pages frame it (Wagtail's preview panel) gets
  `frame-ancestors 'self'` instead of 'none', as its X-Frame-Options already says;
- the Wagtail admin (see `nonce_wagtail_initialisers`), and its image edit page's focal
  point chooser (see `JCROP_TOUCH_PROBE`);
- the API's Swagger UI page, whose template holds a fixed <style> element;
- the Reporting-Endpoints header that `report-to` names (config/csp_report.py).
"""

import base64
import functools
import hashlib
import json
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from csp.constants import HEADER, NONCE, SELF, UNSAFE_HASHES, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
SWAGGER_UI_TEMPLATE = "drf_spectacular/swagger_ui.html"
# Jcrop, the focal point chooser of Wagtail's image edit page, tells touch screens apart by
# setting `ontouchstart`, `ontouchmove` and `ontouchend` to this inert handler on a detached
# element: blocked, each logs a violation and touch dragging is off. This exact text, and
# nothing else, is let through by its hash ('unsafe-hashes' extends hashes to handler
# attributes), on that page only.
JCROP_TOUCH_PROBE = "return;"
IMAGE_EDIT_VIEW = "wagtailimages:edit"

# Wagtail 8's admin still starts some widgets with an inline script: one call with literal
# arguments (choosers, date pickers, inline panels; wagtail/wagtail#12940). Those, and only
# those, get the response's nonce: an injected script would have to be such a call too.
_INLINE_SCRIPT = re.compile(r"<script>(?P<code>.*?)</script>", re.DOTALL)
_INITIALISER_CALL = re.compile(
    r"\s*(?:new [A-Z]\w*Chooser|init(?:Date|Time|DateTime)Chooser|create\w*Chooser)"
    r"\((?P<args>.*)\);\s*",
    re.DOTALL,
)
_PANEL_INITIALISER = re.compile(
    r"\s*\(function\(\) \{\s*var panel = new (?:InlinePanel|MultipleChooserPanel)"
    r"\(JSON\.parse\((?P<options>\".*\")\)\);\s*\}\)\(\);\s*",
    re.DOTALL,
)


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute URL, None for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def external_form_targets() -> list[str]:
    """Origins our own forms are redirected to: ProConnect's login, Stripe Checkout."""
    targets = []
    if settings.PROCONNECT_CLIENT_ID and (proconnect := origin(settings.PROCONNECT_SERVER_URL)):
        targets.append(proconnect)
    if settings.STRIPE_SECRET_KEY:
        # Tests point the Stripe client at a local fake, which serves its checkout page too.
        targets.append(origin(settings.STRIPE_API_BASE) or STRIPE_CHECKOUT_ORIGIN)
    return targets


def _is_json(text: str) -> bool:
    def reject(constant):  # NaN and Infinity: not JSON, and not needed
        raise ValueError(constant)

    try:
        json.loads(text, parse_constant=reject)
    except ValueError:
        return False
    return True


def is_wagtail_initialiser(code: str) -> bool:
    """Whether an inline script is exactly one of Wagtail's widget initialisers.

    Its arguments must parse as JSON, so that they can only be data; `<!--` and `<script`
    would change where the browser ends the script, hence where the code ends.
    """
    if "<!--" in code or "<script" in code.lower():
        return False
    if call := _INITIALISER_CALL.fullmatch(code):
        return _is_json(f"[{call['args']}]")
    if panel := _PANEL_INITIALISER.fullmatch(code):
        return _is_json(panel["options"])
    return False


def nonce_wagtail_initialisers(html: str, nonce: str) -> str:
    """`html` with the nonce on each inline script that is one of Wagtail's initialisers."""

    def with_nonce(script: re.Match) -> str:
        if not is_wagtail_initialiser(script["code"]):
            return script[0]
        return f'<script nonce="{nonce}">{script["code"]}</script>'

    return _INLINE_SCRIPT.sub(with_nonce, html)


def source_hash(code: str) -> str:
    """The CSP source expression that allows exactly `code`."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'"


@functools.cache
def swagger_ui_style_hash() -> str | None:
    """The CSP hash of the <style> element in drf-spectacular's Swagger UI page, if any."""
    source = get_template(SWAGGER_UI_TEMPLATE).template.source
    if not (style := re.search(r"<style>(.*?)</style>", source, re.DOTALL)):
        return None
    return source_hash(style[1])


def _is_wagtail_admin_page(request, response) -> bool:
    return (
        request.path_info.startswith(reverse("wagtailadmin_home"))
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
    )


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if response.get("X-Frame-Options") == "SAMEORIGIN" and HEADER in response:
            # Wagtail's preview runs the page through the middleware again, for a dummy
            # request: that inner pass wrote a header before the view allowed framing.
            del response[HEADER]
        if _is_wagtail_admin_page(request, response) and b"<script>" in response.content:
            html = response.content.decode(response.charset)
            response.content = nonce_wagtail_initialisers(html, str(request.csp_nonce))
            if response.has_header("Content-Length"):  # set by CommonMiddleware, further in
                response["Content-Length"] = str(len(response.content))
        response = super().process_response(request, response)
        if HEADER in response:
            group = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-to"]
            response.headers.setdefault("Reporting-Endpoints", f'{group}="{reverse("csp_report")}"')
        return response

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        if targets := external_form_targets():
            update["form-action"] = [*update.get("form-action", []), *targets]
        if _is_wagtail_admin_page(request, response):
            update["script-src"] = [*update.get("script-src", []), NONCE]
            # Draftail, the rich text editor, adds <style> elements as it runs.
            update["style-src-elem"] = [SELF, UNSAFE_INLINE]
            # Thumbnails of the images being uploaded, before they are sent.
            update["img-src"] = [*update.get("img-src", []), "blob:"]
            if getattr(request.resolver_match, "view_name", None) == IMAGE_EDIT_VIEW:
                update["script-src"] += [UNSAFE_HASHES, source_hash(JCROP_TOUCH_PROBE)]
        if getattr(response, "template_name", None) == SWAGGER_UI_TEMPLATE and (
            style_hash := swagger_ui_style_hash()
        ):
            update["style-src-elem"] = [SELF, style_hash]
        parts.update = update
        if response.get("X-Frame-Options") == "SAMEORIGIN":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts
