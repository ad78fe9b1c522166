"""Where browsers report what the Content-Security-Policy blocked.

The policy names this view twice: `report-uri` (every browser) and `report-to`, with the
Reporting-Endpoints header config.csp adds (the Reporting API, preferred by Chromium).
Each violation becomes one `csp_violation` line of the security log: a blocked script is
either a bug of ours or an injection attempt, and both deserve to be seen.
"""

import json
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rest_framework.throttling import SimpleRateThrottle

from accounts.security_log import log_event

# A browser's report is well under 4 kB; a batch of the Reporting API a few of them.
MAX_BODY_BYTES = 16 * 1024
# What goes to the log is cut to this length: where it happened, not a whole data: URL.
MAX_VALUE_CHARS = 500
LEGACY_CONTENT_TYPE = "application/csp-report"  # report-uri
# Where each kind of body keeps (blocked URI, violated directive, document URI).
FIELDS = {
    LEGACY_CONTENT_TYPE: ("blocked-uri", "violated-directive", "document-uri"),
    "application/reports+json": ("blockedURL", "effectiveDirective", "documentURL"),  # report-to
}


class ReportThrottle(SimpleRateThrottle):
    """Reports per client address, counted in the shared cache like the API's throttles.

    A page can break several rules at once and an office may share one address, hence a
    generous rate; it still stops one client from filling the log.
    """

    scope = "csp_report"
    rate = "60/minute"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class InvalidReport(ValueError):
    """The body is not a CSP violation report."""


def _text(report: dict, key: str, *, required: bool = True) -> str:
    value = report.get(key, None if required else "")
    if not isinstance(value, str):
        raise InvalidReport(key)
    return value[:MAX_VALUE_CHARS]


def _without_query(url: str) -> str:
    """A page address without its query string and fragment: they may hold search words
    or tokens, which have no place in a log. Keywords (`inline`, `eval`) stay as they are."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _reports(data, content_type: str) -> list[dict]:
    if content_type == LEGACY_CONTENT_TYPE:  # {"csp-report": {...}}
        if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
            return [data["csp-report"]]
        raise InvalidReport
    # [{"type": "csp-violation", "body": {...}, ...}, ...]; other types are left out.
    if not isinstance(data, list) or not all(isinstance(report, dict) for report in data):
        raise InvalidReport
    bodies = [report.get("body") for report in data if report.get("type") == "csp-violation"]
    if not all(isinstance(body, dict) for body in bodies):
        raise InvalidReport
    return bodies


def parse_violations(body: bytes, content_type: str) -> list[dict[str, str]]:
    """The violations a report body describes, as the security log names their fields.

    Raises InvalidReport, before anything is logged, if any part of the body is not a report.
    """
    try:
        data = json.loads(body)
    except ValueError as error:  # UnicodeDecodeError included
        raise InvalidReport from error
    blocked, directive, document = FIELDS[content_type]
    return [
        {
            # Some browsers leave it out, e.g. when the page itself broke the rule.
            "blocked_uri": _without_query(_text(report, blocked, required=False)),
            "violated_directive": _text(report, directive),
            "document_uri": _without_query(_text(report, document)),
        }
        for report in _reports(data, content_type)
    ]


@csrf_exempt  # browsers send reports without a CSRF token
@login_not_required
@require_POST
def csp_report(request):
    """Log each violation of a report; 204 when done, nothing logged for a refused body."""
    throttle = ReportThrottle()
    if not throttle.allow_request(request, None):
        response = HttpResponse(_("Trop de rapports : réessayez plus tard."), status=429)
        response["Retry-After"] = str(int(throttle.wait() or 60))
        return response
    if request.content_type not in FIELDS:
        return HttpResponse(_("Type de rapport non pris en charge."), status=415)
    # One byte more than allowed, whatever length the request declares: no more is read.
    if len(body := request.read(MAX_BODY_BYTES + 1)) > MAX_BODY_BYTES:
        return HttpResponse(_("Rapport trop volumineux."), status=413)
    try:
        violations = parse_violations(body, request.content_type)
    except InvalidReport:
        return HttpResponseBadRequest(_("Ce n’est pas un rapport de violation CSP."))
    for violation in violations:
        log_event("csp_violation", request=request, outcome="denied", **violation)
    return HttpResponse(status=204)
