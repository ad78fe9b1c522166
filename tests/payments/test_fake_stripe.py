"""The fake speaks Stripe: the real `stripe` client runs against it unchanged."""

import json
import time

import pytest
import requests
import stripe

from tests.payments.conftest import FAKE_SECRET_KEY, FAKE_WEBHOOK_SECRET
from tests.payments.fake_stripe import (
    checkout_session_object,
    decode_stripe_params,
    make_event,
    refunded_charge_object,
    sign,
)


def session_params(**overrides):
    params = {
        "mode": "payment",
        "success_url": "https://territoires.example/merci?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://territoires.example/annule",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 2500,
                    "product_data": {"name": "Contribution au programme"},
                },
                "quantity": 2,
            }
        ],
        "metadata": {"contribution_id": "42"},
        "allowed_payment_method_types": ["card", "sepa_debit"],
        "client_reference_id": "contribution-42",
    }
    params.update(overrides)
    return params


def client_for(fake, api_key=FAKE_SECRET_KEY):
    return stripe.StripeClient(api_key, base_addresses={"api": fake.url}, max_network_retries=0)


# --- Form decoding -------------------------------------------------------------------


def test_decoder_nests_stripe_form_keys():
    decoded = decode_stripe_params(
        [
            ("line_items[0][price_data][unit_amount]", "2500"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][quantity]", "3"),
            ("metadata[contribution_id]", "42"),
            ("types[]", "a"),
            ("types[]", "b"),
            ("mode", "payment"),
        ]
    )

    assert decoded == {
        "line_items": [{"price_data": {"unit_amount": "2500"}, "quantity": "1"}, {"quantity": "3"}],
        "metadata": {"contribution_id": "42"},
        "types": ["a", "b"],
        "mode": "payment",
    }


# --- Customers and Checkout Sessions -------------------------------------------------


def test_create_customer(fake_stripe, stripe_client):
    customer = stripe_client.v1.customers.create(
        params={"name": "Ada", "email": "ada@example.org", "metadata": {"user_id": "7"}}
    )

    assert customer.id.startswith("cus_")
    assert customer.object == "customer"
    assert customer.email == "ada@example.org"
    assert customer.metadata["user_id"] == "7"
    assert fake_stripe.customers[customer.id]["name"] == "Ada"
    request = fake_stripe.requests[-1]
    assert request.headers["Authorization"] == f"Bearer {FAKE_SECRET_KEY}"
    assert request.headers["Stripe-Version"] == stripe.api_version
    assert request.headers["Idempotency-Key"]


def test_create_checkout_session_records_the_parsed_params(fake_stripe, stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "ada@example.org"})

    session = stripe_client.v1.checkout.sessions.create(params=session_params(customer=customer.id))

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.url == f"{fake_stripe.url}/checkout/{session.id}"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.amount_total == 5000
    assert session.currency == "eur"
    assert session.customer == customer.id
    assert session.metadata["contribution_id"] == "42"
    assert session.payment_method_types == ["card", "sepa_debit"]
    assert session.payment_intent is None
    assert session.expires_at - session.created == 24 * 60 * 60
    form = fake_stripe.requests[-1].form
    assert form["line_items"][0]["price_data"]["unit_amount"] == "2500"
    assert form["line_items"][0]["price_data"]["currency"] == "eur"
    assert form["line_items"][0]["quantity"] == "2"
    assert form["metadata"] == {"contribution_id": "42"}
    assert form["allowed_payment_method_types"] == ["card", "sepa_debit"]
    assert fake_stripe.sessions[session.id]["client_reference_id"] == "contribution-42"


def test_retrieve_checkout_session(fake_stripe, stripe_client):
    created = stripe_client.v1.checkout.sessions.create(params=session_params())

    retrieved = stripe_client.v1.checkout.sessions.retrieve(created.id)

    assert retrieved.id == created.id
    assert retrieved.amount_total == 5000
    assert fake_stripe.requests[-1].method == "GET"


def test_retrieve_unknown_session_is_resource_missing(fake_stripe, stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_unknown")

    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"


def test_same_idempotency_key_returns_the_same_session(fake_stripe, stripe_client):
    options = {"idempotency_key": "contribution-42-checkout"}

    first = stripe_client.v1.checkout.sessions.create(params=session_params(), options=options)
    second = stripe_client.v1.checkout.sessions.create(params=session_params(), options=options)

    assert second.id == first.id
    assert list(fake_stripe.sessions) == [first.id]
    assert fake_stripe.requests[-1].headers["Idempotency-Key"] == "contribution-42-checkout"


def test_reused_idempotency_key_with_other_params_is_refused(fake_stripe, stripe_client):
    options = {"idempotency_key": "contribution-42-checkout"}
    stripe_client.v1.checkout.sessions.create(params=session_params(), options=options)

    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="other"), options=options
        )


def test_session_without_line_items_names_the_param(fake_stripe, stripe_client):
    params = session_params()
    del params["line_items"]

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.checkout.sessions.create(params=params)

    assert raised.value.param == "line_items"
    assert fake_stripe.sessions == {}


@pytest.mark.parametrize(
    ("price_data_change", "param"),
    [
        ({"unit_amount": 0}, "line_items[0][price_data][unit_amount]"),
        ({"currency": None}, "line_items[0][price_data][currency]"),
        (
            {"product_data": {"description": "no name"}},
            "line_items[0][price_data][product_data][name]",
        ),
    ],
)
def test_invalid_price_data_names_the_param(stripe_client, price_data_change, param):
    params = session_params()
    params["line_items"][0]["price_data"].update(price_data_change)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.checkout.sessions.create(params=params)

    assert raised.value.param == param


def test_relative_success_url_is_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.checkout.sessions.create(params=session_params(success_url="/merci"))

    assert raised.value.param == "success_url"


def test_param_unknown_to_the_pinned_api_version_is_refused(stripe_client):
    # Since API version 2026-10-28.endive (stripe 16) Checkout takes
    # allowed_payment_method_types; payment_method_types is no longer a create param.
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.checkout.sessions.create(
            params=session_params(payment_method_types=["card"])
        )

    assert raised.value.param == "payment_method_types"
    assert "allowed_payment_method_types" in raised.value.user_message


def test_hosted_checkout_page(fake_stripe, stripe_client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    page = requests.get(session.url, timeout=5)

    assert page.status_code == 200
    assert "<title>Paiement (simulation Stripe)</title>" in page.text
    assert "50,00 EUR" in page.text
    assert session.id in page.text
    assert f"session={session.id}" in page.text


def test_complete_session_returns_its_completed_event(fake_stripe, stripe_client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    event = fake_stripe.complete_session(session.id, payment_status="unpaid")

    assert event["type"] == "checkout.session.completed"
    assert event["data"]["object"]["payment_status"] == "unpaid"
    assert event["data"]["object"]["payment_intent"].startswith("pi_")
    assert fake_stripe.events[0] is event
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "complete"


# --- Failures ------------------------------------------------------------------------


def test_wrong_api_key_is_an_authentication_error(fake_stripe):
    with pytest.raises(stripe.AuthenticationError) as raised:
        client_for(fake_stripe, api_key="sk_test_wrong").v1.customers.create()

    assert raised.value.http_status == 401
    assert raised.value.json_body["error"]["type"] == "invalid_request_error"


def test_fail_next_is_an_api_error_then_recovers(fake_stripe, stripe_client):
    fake_stripe.fail_next(500)

    with pytest.raises(stripe.APIError) as raised:
        stripe_client.v1.customers.create()

    assert raised.value.http_status == 500
    assert stripe_client.v1.customers.create().object == "customer"


def test_stopped_server_is_a_quick_connection_error(fake_stripe, stripe_client):
    fake_stripe.stop()
    started = time.monotonic()

    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.customers.create()

    assert time.monotonic() - started < 2


# --- Events --------------------------------------------------------------------------


def test_events_are_filtered_by_created_and_types_and_auto_paged(fake_stripe, stripe_client):
    since = 1_700_000_000
    fake_stripe.add_event(make_event("checkout.session.completed", {}, created=since - 1))
    expected = []
    for offset in range(5):
        expected.insert(
            0,
            fake_stripe.add_event(
                make_event("checkout.session.completed", {}, created=since + offset)
            ),
        )
        fake_stripe.add_event(make_event("customer.created", {}, created=since + offset))

    events = stripe_client.v1.events.list(
        params={"created": {"gte": since}, "types": ["checkout.session.completed"], "limit": 2}
    )

    assert len(events.data) == 2
    assert events.has_more
    listed = [event.id for event in events.auto_paging_iter()]
    assert listed == [event["id"] for event in expected]
    event_requests = [request for request in fake_stripe.requests if request.path == "/v1/events"]
    assert len(event_requests) == 3
    assert event_requests[1].query["starting_after"] == expected[1]["id"]
    assert event_requests[1].query["created"] == {"gte": str(since)}
    assert event_requests[1].query["types"] == ["checkout.session.completed"]


def test_events_type_filter_takes_a_wildcard(fake_stripe, stripe_client):
    fake_stripe.add_event(make_event("charge.refunded", {}))
    fake_stripe.add_event(make_event("checkout.session.async_payment_succeeded", {}))

    events = stripe_client.v1.events.list(params={"type": "checkout.session.*"})

    assert [event.type for event in events.data] == ["checkout.session.async_payment_succeeded"]


# --- Webhook signatures --------------------------------------------------------------


def signed_payload(event):
    payload = json.dumps(event).encode()
    return payload, sign(payload, FAKE_WEBHOOK_SECRET)


def test_signed_event_is_accepted_by_the_stripe_library():
    session = checkout_session_object(amount_total=5000, metadata={"contribution_id": "42"})
    payload, header = signed_payload(make_event("checkout.session.completed", session))

    event = stripe.Webhook.construct_event(payload, header, FAKE_WEBHOOK_SECRET)

    assert event.type == "checkout.session.completed"
    assert event.data.object.metadata["contribution_id"] == "42"
    assert event.data.object.payment_status == "paid"


def test_refunded_charge_event_is_accepted():
    charge = refunded_charge_object(payment_intent="pi_123", amount=5000)
    payload, header = signed_payload(make_event("charge.refunded", charge))

    event = stripe.Webhook.construct_event(payload, header, FAKE_WEBHOOK_SECRET)

    assert event.data.object.refunded is True
    assert event.data.object.amount_refunded == 5000


@pytest.mark.parametrize("tampering", ["payload", "secret", "timestamp"])
def test_tampered_signature_is_rejected(tampering):
    payload = json.dumps(make_event("charge.refunded", {"object": "charge"})).encode()
    secret = FAKE_WEBHOOK_SECRET
    # Older than the library's five-minute tolerance.
    timestamp = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 60
    header = sign(payload, secret, timestamp=timestamp if tampering == "timestamp" else None)
    if tampering == "payload":
        payload = payload.replace(b"charge.refunded", b"charge.succeeded")
    if tampering == "secret":
        secret = "whsec_other"

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, secret)
