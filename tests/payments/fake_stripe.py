"""A local stand-in for the Stripe API, so payment tests never reach the internet.

`FakeStripe` is an HTTP server on 127.0.0.1 that the real `stripe` library talks to once
its base address points at `fake.url`. It checks what it receives the way Stripe does
(API key, parameter names and values, idempotency keys) and answers Stripe-shaped JSON.
Parameter names are taken from the installed library's own request types, so a parameter
that the pinned API version no longer knows is refused here as it would be by Stripe.

The module-level helpers build webhook events and sign them like Stripe does.
"""

import dataclasses
import difflib
import fnmatch
import functools
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import stripe
from requests.structures import CaseInsensitiveDict
from stripe._request_options import RequestOptions
from stripe.params import CustomerCreateParams, EventListParams
from stripe.params.checkout import (
    SessionCreateParams,
    SessionCreateParamsLineItem,
    SessionCreateParamsLineItemPriceData,
    SessionCreateParamsLineItemPriceDataProductData,
    SessionRetrieveParams,
)

SESSION_LIFETIME_SECONDS = 24 * 60 * 60
DEFAULT_LIST_LIMIT = 10
MAX_LIST_LIMIT = 100
# Stripe refuses Checkout Sessions below these totals (in the currency's minor unit).
MINIMUM_CHARGE_AMOUNTS = {"eur": 50, "usd": 50}
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 40
METADATA_VALUE_MAX_LENGTH = 500
CLIENT_REFERENCE_ID_MAX_LENGTH = 200

_ID_ALPHABET = string.ascii_letters + string.digits
_KEY_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_SESSION_PATH = re.compile(r"/v1/checkout/sessions/(?P<session_id>[^/]+)")
_CHECKOUT_PAGE_PATH = re.compile(r"/checkout/(?P<session_id>[^/]+)")
# These keys configure the client call itself (`options=`); they never reach the API.
_REQUEST_OPTION_KEYS = RequestOptions.__required_keys__ | RequestOptions.__optional_keys__


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


# --- Form decoding -------------------------------------------------------------------


def decode_stripe_params(pairs: list[tuple[str, str]]) -> dict:
    """Nest Stripe's form keys: `a[b][0][c]=v` becomes {"a": {"b": [{"c": "v"}]}}.

    Values stay strings, as Stripe receives them; `a[]=v` appends to a list.
    """
    root: dict = {}
    for key, value in pairs:
        name, _, brackets = key.partition("[")
        segments = [name, *_KEY_SEGMENT.findall("[" + brackets)] if brackets else [name]
        container = root
        for position, segment in enumerate(segments):
            if not isinstance(container, dict):
                raise ValueError(f"Invalid array or hash: {key}")
            slot = segment or str(len(container))
            if position == len(segments) - 1:
                container[slot] = value
            else:
                container = container.setdefault(slot, {})
    return _lists_from_indexed_dicts(root)


def _lists_from_indexed_dicts(value):
    if not isinstance(value, dict):
        return value
    nested = {key: _lists_from_indexed_dicts(item) for key, item in value.items()}
    if nested and all(key.isdigit() for key in nested):
        return [nested[key] for key in sorted(nested, key=int)]
    return nested


# --- Webhook helpers -----------------------------------------------------------------


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe would send with `payload`."""
    if timestamp is None:
        timestamp = int(time.time())
    signed_payload = f"{timestamp}.".encode() + payload
    signature = hmac.new(secret.encode(), signed_payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def make_event(
    type: str, obj: dict, *, event_id: str | None = None, created: int | None = None
) -> dict:
    return {
        "id": event_id or new_id("evt_"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }


def checkout_session_object(
    *,
    amount_total: int,
    currency: str = "eur",
    metadata: dict | None = None,
    payment_status: str = "paid",
    session_id: str | None = None,
    payment_intent: str | None = None,
    customer: str | None = None,
    client_reference_id: str | None = None,
) -> dict:
    """A completed Checkout Session; `payment_status="unpaid"` is a SEPA debit still pending."""
    return {
        "id": session_id or new_id("cs_test_"),
        "object": "checkout.session",
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "client_reference_id": client_reference_id,
        "created": int(time.time()),
        "currency": currency,
        "customer": customer,
        "livemode": False,
        "metadata": metadata or {},
        "mode": "payment",
        "payment_intent": payment_intent or new_id("pi_"),
        "payment_status": payment_status,
        "status": "complete",
    }


def refunded_charge_object(
    *,
    payment_intent: str,
    amount: int,
    amount_refunded: int | None = None,
    currency: str = "eur",
    charge_id: str | None = None,
    metadata: dict | None = None,
) -> dict:
    """A charge after a refund, full unless `amount_refunded` says otherwise."""
    if amount_refunded is None:
        amount_refunded = amount
    return {
        "id": charge_id or new_id("ch_"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "captured": True,
        "created": int(time.time()),
        "currency": currency,
        "livemode": False,
        "metadata": metadata or {},
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
    }


# --- The fake API --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict
    form: dict
    headers: CaseInsensitiveDict


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict = dataclasses.field(default_factory=dict)


class StripeError(Exception):
    """An error answered in Stripe's shape: {"error": {"type", "message", "param", "code"}}."""

    def __init__(self, status, message, *, param=None, code=None, type="invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def as_response(self) -> Response:
        error = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
        return _json_response(self.status, {"error": error})


def _json_response(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(status, json.dumps(body).encode(), headers=headers or {})


class FakeStripe:
    def __init__(self, api_key: str = "sk_test_fake"):
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.customers: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        # Newest first, as Stripe lists them; use add_event() to keep that order.
        self.events: list[dict] = []
        self._idempotent_responses: dict[str, tuple[tuple, Response]] = {}
        self._failures_left = 0
        self._failure_status = 500
        # The server answers from several threads while the test thread reads and seeds state.
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = [
            ("POST", re.compile("/v1/customers"), CustomerCreateParams, self._create_customer),
            (
                "POST",
                re.compile("/v1/checkout/sessions"),
                SessionCreateParams,
                self._create_session,
            ),
            ("GET", _SESSION_PATH, SessionRetrieveParams, self._retrieve_session),
            ("GET", re.compile("/v1/events"), EventListParams, self._list_events),
        ]

    # Lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeStripe is not started.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeStripe":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # A short poll interval keeps stop() from stalling each test by half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        # Keep the address so a stopped fake still names where clients fail to connect.
        if self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._thread = None

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # Test controls

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` API calls with `status` and an `api_error` body."""
        with self._lock:
            self._failure_status = status
            self._failures_left = times

    def add_event(self, event: dict) -> dict:
        with self._lock:
            self.events.insert(0, event)
            # Stable sort: among events of the same second, the last added stays first.
            self.events.sort(key=lambda listed: listed["created"], reverse=True)
        return event

    def complete_session(self, session_id: str, *, payment_status: str = "paid") -> dict:
        """Mark a stored session as paid by the customer; return its
        `checkout.session.completed` event (also added to `events`).

        `payment_status="unpaid"` stands for a SEPA debit that settles later.
        """
        with self._lock:
            session = self.sessions[session_id]
            session.update(
                status="complete",
                payment_status=payment_status,
                payment_intent=session["payment_intent"] or new_id("pi_"),
            )
            event = make_event("checkout.session.completed", dict(session))
        return self.add_event(event)

    # Request handling (called from the server threads)

    def handle(self, recorded: RecordedRequest) -> Response:
        with self._lock:
            self.requests.append(recorded)
            try:
                if recorded.path.startswith("/v1/"):
                    return self._handle_api(recorded)
                if recorded.method == "GET" and (
                    match := _CHECKOUT_PAGE_PATH.fullmatch(recorded.path)
                ):
                    return self._checkout_page(match["session_id"])
                raise StripeError(404, f"Unrecognized request URL ({recorded.path}).")
            except StripeError as error:
                return error.as_response()

    def _handle_api(self, recorded: RecordedRequest) -> Response:
        if self._failures_left:
            self._failures_left -= 1
            raise StripeError(
                self._failure_status,
                f"Simulated Stripe failure (HTTP {self._failure_status}).",
                type="api_error",
            )
        self._authenticate(recorded.headers.get("Authorization"))
        for method, pattern, params_type, view in self._routes:
            match = pattern.fullmatch(recorded.path)
            if method == recorded.method and match:
                params = recorded.form if method == "POST" else recorded.query
                _reject_unknown_params(params, params_type)
                perform = functools.partial(view, params, **match.groupdict())
                if method == "POST":
                    return self._idempotent(recorded, perform)
                return perform()
        raise StripeError(404, f"Unrecognized request URL ({recorded.method}: {recorded.path}).")

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization:
            raise StripeError(401, "You did not provide an API key.")
        if authorization != f"Bearer {self.api_key}":
            raise StripeError(401, "Invalid API Key provided")

    def _idempotent(self, recorded: RecordedRequest, perform) -> Response:
        key = recorded.headers.get("Idempotency-Key")
        fingerprint = (recorded.method, recorded.path, recorded.form)
        if key in self._idempotent_responses:
            first_fingerprint, response = self._idempotent_responses[key]
            if first_fingerprint != fingerprint:
                raise StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    type="idempotency_error",
                )
            return dataclasses.replace(
                response, headers={**response.headers, "Idempotent-Replayed": "true"}
            )
        # A refused request raises before this point and is not stored: Stripe only
        # replays requests that ran, so a corrected retry may reuse the key.
        response = perform()
        if key:
            self._idempotent_responses[key] = (fingerprint, response)
        return response

    # Endpoints

    def _create_customer(self, params: dict) -> Response:
        email = params.get("email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise StripeError(400, f"Invalid email address: {email}", param="email")
        metadata = _validated_metadata(params.get("metadata", {}), "metadata")
        customer = {
            "id": new_id("cus_"),
            "object": "customer",
            "created": int(time.time()),
            "description": params.get("description"),
            "email": email,
            "livemode": False,
            "metadata": metadata,
            "name": params.get("name"),
            "phone": params.get("phone"),
        }
        self.customers[customer["id"]] = customer
        return _json_response(200, customer)

    def _create_session(self, params: dict) -> Response:
        mode = _required(params, "mode")
        if mode != "payment":
            raise StripeError(400, f"The fake only knows mode=payment, not {mode}.", param="mode")
        success_url = _validated_url(params, "success_url")
        # Optional at Stripe, but our flow always offers the way back: insist on it.
        cancel_url = _validated_url(params, "cancel_url")
        customer = params.get("customer")
        if customer is not None and "customer_email" in params:
            raise StripeError(
                400,
                "You may only specify one of these parameters: customer, customer_email.",
                param="customer",
            )
        if customer is not None and customer not in self.customers:
            raise StripeError(
                400, f"No such customer: '{customer}'", param="customer", code="resource_missing"
            )
        client_reference_id = params.get("client_reference_id")
        if client_reference_id is not None and not (
            0 < len(client_reference_id) <= CLIENT_REFERENCE_ID_MAX_LENGTH
        ):
            raise StripeError(
                400,
                f"client_reference_id must be 1 to {CLIENT_REFERENCE_ID_MAX_LENGTH} characters.",
                param="client_reference_id",
            )
        currency, amount_total = _validated_line_items(params.get("line_items"))
        minimum = MINIMUM_CHARGE_AMOUNTS.get(currency, 1)
        if amount_total < minimum:
            raise StripeError(
                400,
                "The Checkout Session's total amount due must add up to at least "
                f"{minimum} ({currency}, minor unit).",
                param="line_items",
                code="amount_too_small",
            )
        now = int(time.time())
        allowed_types = params.get("allowed_payment_method_types")
        session_id = new_id("cs_test_")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "allowed_payment_method_types": allowed_types,
            "amount_subtotal": amount_total,
            "amount_total": amount_total,
            "cancel_url": cancel_url,
            "client_reference_id": client_reference_id,
            "created": now,
            "currency": currency,
            "customer": customer,
            "customer_email": params.get("customer_email"),
            "expires_at": _integer(
                params.get("expires_at", now + SESSION_LIFETIME_SECONDS), "expires_at"
            ),
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": _validated_metadata(params.get("metadata", {}), "metadata"),
            "mode": mode,
            "payment_intent": None,
            "payment_method_types": allowed_types or ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": success_url,
            "ui_mode": "hosted",
            "url": f"{self.url}/checkout/{session_id}",
        }
        self.sessions[session_id] = session
        return _json_response(200, session)

    def _retrieve_session(self, params: dict, *, session_id: str) -> Response:
        if session_id not in self.sessions:
            raise StripeError(
                404,
                f"No such checkout.session: '{session_id}'",
                param="session",
                code="resource_missing",
            )
        return _json_response(200, self.sessions[session_id])

    def _list_events(self, params: dict) -> Response:
        limit = _integer(params.get("limit", DEFAULT_LIST_LIMIT), "limit")
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise StripeError(400, f"limit must be between 1 and {MAX_LIST_LIMIT}.", param="limit")
        if "type" in params and "types" in params:
            raise StripeError(
                400, "You may pass either type or types, but not both.", param="types"
            )
        events = [event for event in self.events if _event_matches(event, params)]
        ids = [event["id"] for event in events]
        if "starting_after" in params:
            start = _cursor_position(ids, params["starting_after"], "starting_after") + 1
            page, has_more = events[start : start + limit], len(events) - start > limit
        elif "ending_before" in params:
            end = _cursor_position(ids, params["ending_before"], "ending_before")
            page, has_more = events[max(0, end - limit) : end], end > limit
        else:
            page, has_more = events[:limit], len(events) > limit
        return _json_response(
            200, {"object": "list", "data": page, "has_more": has_more, "url": "/v1/events"}
        )

    def _checkout_page(self, session_id: str) -> Response:
        session = self.sessions.get(session_id)
        if session is None:
            return Response(404, b"<!doctype html><title>Session inconnue</title>", "text/html")
        amount = f"{session['amount_total'] / 100:.2f}".replace(".", ",")
        # Stripe fills this placeholder in success_url when it redirects the customer.
        success_url = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        page = f"""<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Paiement (simulation Stripe)</title></head>
<body>
<h1>Paiement (simulation Stripe)</h1>
<p>Montant : <strong>{amount} {html.escape(session["currency"].upper())}</strong></p>
<p>Session : <code>{html.escape(session_id)}</code></p>
<p><a href="{html.escape(success_url)}">Simuler un paiement réussi</a></p>
<p><a href="{html.escape(session["cancel_url"])}">Annuler</a></p>
</body>
</html>
"""
        return Response(200, page.encode(), "text/html; charset=utf-8")


# --- Validation helpers --------------------------------------------------------------


def _params_of(params_type) -> frozenset:
    return (params_type.__required_keys__ | params_type.__optional_keys__) - _REQUEST_OPTION_KEYS


def _reject_unknown_params(params: dict, params_type, prefix: str = "") -> None:
    known = _params_of(params_type)
    for name in params:
        if name in known:
            continue
        suggestion = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {suggestion[0]}?" if suggestion else ""
        raise StripeError(
            400,
            f"Received unknown parameter: {prefix}{name}.{hint}",
            param=f"{prefix}{name}",
            code="parameter_unknown",
        )


def _required(params: dict, name: str, param: str | None = None):
    value = params.get(name)
    if value in (None, "", [], {}):
        param = param or name
        raise StripeError(
            400, f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    return value


def _integer(value, param: str) -> int:
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeError(
            400, f"Invalid integer: {value}", param=param, code="parameter_invalid_integer"
        )
    return int(value)


def _validated_url(params: dict, name: str) -> str:
    url = _required(params, name)
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise StripeError(400, "Not a valid URL", param=name, code="url_invalid")
    return url


def _validated_metadata(metadata, param: str) -> dict:
    if metadata == "":
        # Stripe reads an empty value as "no metadata".
        return {}
    if not isinstance(metadata, dict):
        raise StripeError(400, "Invalid object", param=param)
    if len(metadata) > METADATA_MAX_KEYS:
        raise StripeError(400, f"Metadata can have at most {METADATA_MAX_KEYS} keys.", param=param)
    for key, value in metadata.items():
        if len(key) > METADATA_KEY_MAX_LENGTH or not isinstance(value, str):
            raise StripeError(400, f"Invalid metadata key: {key}", param=f"{param}[{key}]")
        if len(value) > METADATA_VALUE_MAX_LENGTH:
            raise StripeError(
                400,
                f"Metadata values can be at most {METADATA_VALUE_MAX_LENGTH} characters.",
                param=f"{param}[{key}]",
            )
    return metadata


def _validated_line_items(line_items) -> tuple[str, int]:
    """Check line items priced inline (`price_data`); return (currency, amount total)."""
    if line_items in (None, ""):
        raise StripeError(
            400,
            "Missing required param: line_items. A payment-mode session needs at least one.",
            param="line_items",
            code="parameter_missing",
        )
    if not isinstance(line_items, list):
        raise StripeError(400, "Invalid array", param="line_items")
    currencies, amount_total = set(), 0
    for index, item in enumerate(line_items):
        prefix = f"line_items[{index}]"
        if not isinstance(item, dict):
            raise StripeError(400, "Invalid object", param=prefix)
        _reject_unknown_params(item, SessionCreateParamsLineItem, f"{prefix}[")
        if "price" in item:
            raise StripeError(
                400,
                f"No such price: '{item['price']}' (the fake only knows price_data).",
                param=f"{prefix}[price]",
                code="resource_missing",
            )
        price_data = _required(item, "price_data", f"{prefix}[price_data]")
        if not isinstance(price_data, dict):
            raise StripeError(400, "Invalid object", param=f"{prefix}[price_data]")
        _reject_unknown_params(
            price_data, SessionCreateParamsLineItemPriceData, f"{prefix}[price_data]["
        )
        currency = _required(price_data, "currency", f"{prefix}[price_data][currency]")
        if not re.fullmatch(r"[a-zA-Z]{3}", currency):
            raise StripeError(
                400, f"Invalid currency: {currency}", param=f"{prefix}[price_data][currency]"
            )
        currencies.add(currency.lower())
        unit_amount_param = f"{prefix}[price_data][unit_amount]"
        unit_amount = _integer(
            _required(price_data, "unit_amount", unit_amount_param), unit_amount_param
        )
        if unit_amount <= 0:
            raise StripeError(400, "unit_amount must be greater than 0.", param=unit_amount_param)
        product_data = _required(price_data, "product_data", f"{prefix}[price_data][product_data]")
        if not isinstance(product_data, dict):
            raise StripeError(400, "Invalid object", param=f"{prefix}[price_data][product_data]")
        _reject_unknown_params(
            product_data,
            SessionCreateParamsLineItemPriceDataProductData,
            f"{prefix}[price_data][product_data][",
        )
        _required(product_data, "name", f"{prefix}[price_data][product_data][name]")
        quantity = _integer(
            _required(item, "quantity", f"{prefix}[quantity]"), f"{prefix}[quantity]"
        )
        if quantity < 1:
            raise StripeError(400, "quantity must be at least 1.", param=f"{prefix}[quantity]")
        amount_total += unit_amount * quantity
    if len(currencies) > 1:
        raise StripeError(400, "All line items must use the same currency.", param="line_items")
    return currencies.pop(), amount_total


def _event_matches(event: dict, params: dict) -> bool:
    if "type" in params and not fnmatch.fnmatchcase(event["type"], params["type"]):
        return False
    if "types" in params and event["type"] not in params["types"]:
        return False
    created = params.get("created")
    if created is None:
        return True
    if not isinstance(created, dict):
        return event["created"] == _integer(created, "created")
    bounds = {
        "gt": lambda bound: event["created"] > bound,
        "gte": lambda bound: event["created"] >= bound,
        "lt": lambda bound: event["created"] < bound,
        "lte": lambda bound: event["created"] <= bound,
    }
    for name, value in created.items():
        if name not in bounds:
            raise StripeError(
                400, f"Received unknown parameter: created[{name}]", param=f"created[{name}]"
            )
        if not bounds[name](_integer(value, f"created[{name}]")):
            return False
    return True


def _cursor_position(ids: list[str], cursor: str, param: str) -> int:
    if cursor not in ids:
        raise StripeError(400, f"No such event: '{cursor}'", param=param, code="resource_missing")
    return ids.index(cursor)


# --- HTTP plumbing -------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    fake: FakeStripe


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self):
        self._answer("GET")

    def do_POST(self):
        self._answer("POST")

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            query = decode_stripe_params(parse_qsl(url.query, keep_blank_values=True))
            form = decode_stripe_params(parse_qsl(body.decode(), keep_blank_values=True))
        except ValueError as error:
            response = StripeError(400, str(error)).as_response()
        else:
            recorded = RecordedRequest(
                method=method,
                path=url.path,
                query=query,
                form=form,
                headers=CaseInsensitiveDict(self.headers.items()),
            )
            response = self.server.fake.handle(recorded)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Request-Id", new_id("req_"))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format, *args):
        # Requests are recorded on the fake; the test output stays quiet.
        pass
