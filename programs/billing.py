"""What partner territories owe and pay: the only writers of contributions and payments.

- Contributions are generated from sponsorships of programme startups (the
  programme's yearly amount) and from network memberships, one per source and
  year, prorated by month in the first and last year.
- Money arrives online (Stripe Checkout, card or SEPA debit: only Stripe's signed
  webhook says it arrived) or is recorded by staff (bank transfer, administrative
  mandate). A contribution's paid amount and status are recomputed from its
  payments after every change, so the books always agree.
"""

import datetime
import json
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import stripe

from accounts.enums import Role
from accounts.models import User
from accounts.security_log import log_event
from incubator.exceptions import IncubatorError, InvalidValue
from incubator.models import Sponsorship
from incubator.templatetags.money import euros
from programs.models import (
    BillingAccount,
    Contribution,
    ContributionKind,
    ContributionStatus,
    NetworkMembership,
    Payment,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
)

logger = logging.getLogger(__name__)

__all__ = [
    "HANDLED_EVENT_TYPES",
    "WebhookRejected",
    "checkout_start",
    "contribution_cancel",
    "contribution_refresh",
    "contributions_generate",
    "contribution_for_sponsorship",
    "event_apply",
    "online_payment_enabled",
    "payment_accept_disputed",
    "payment_record_manual",
    "reconcile_since",
    "webhook_receive",
]

PAYMENT_DELAY = datetime.timedelta(days=30)  # the public sector's usual payment term
MANUAL_METHODS = (PaymentMethod.BANK_TRANSFER, PaymentMethod.ADMINISTRATIVE)
CURRENCY = "eur"


# --- Contributions -----------------------------------------------------------------------


def _months_active(start: datetime.date | None, end: datetime.date | None, year: int):
    """The first and last day of the months of `year` a source is active in, or None."""
    first = datetime.date(year, 1, 1) if start is None or start.year < year else start
    last = datetime.date(year, 12, 31) if end is None or end.year > year else end
    if first.year != year or last.year != year or last < first:
        return None
    first = first.replace(day=1)
    following = datetime.date(year + (last.month == 12), last.month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def _prorated(yearly_cents: int, first: datetime.date, last: datetime.date) -> int:
    months = last.month - first.month + 1
    return (yearly_cents * months + 6) // 12  # rounded to the nearest cent


def _create_contribution(*, year, period, yearly_cents, today, **source) -> Contribution | None:
    first, last = period
    amount = _prorated(yearly_cents, first, last)
    if amount <= 0:
        return None
    contribution, created = Contribution.objects.get_or_create(
        year=year,
        **{key: value for key, value in source.items() if key != "territory"},
        defaults={
            "territory": source["territory"],
            "period_start": first,
            "period_end": last,
            "amount_cents": amount,
            "due_date": max(first, today) + PAYMENT_DELAY,
        },
    )
    return contribution if created else None


def contribution_for_sponsorship(
    sponsorship: Sponsorship, year: int, *, today: datetime.date | None = None
) -> Contribution | None:
    """The sponsorship's contribution for `year`, created when missing (None when there is
    nothing to pay: no programme amount, or not active that year)."""
    today = today or timezone.localdate()
    startup = sponsorship.startup
    program = startup.cohort.program if startup.cohort_id else None
    if program is None or not program.contribution_cents_per_year:
        return None
    period = _months_active(sponsorship.start_date, sponsorship.end_date, year)
    if period is None:
        return None
    return _create_contribution(
        year=year,
        period=period,
        yearly_cents=program.contribution_cents_per_year,
        today=today,
        territory=sponsorship.territory,
        sponsorship=sponsorship,
        kind=ContributionKind.SPONSORSHIP,
    )


@transaction.atomic
def contributions_generate(year: int, *, today: datetime.date | None = None) -> list[Contribution]:
    """Every contribution of `year` not created yet; replaying it creates nothing more."""
    today = today or timezone.localdate()
    year_start, year_end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    active = Q(start_date__isnull=True) | Q(start_date__lte=year_end)
    active &= Q(end_date__isnull=True) | Q(end_date__gte=year_start)
    created = []
    sponsorships = (
        Sponsorship.objects.filter(active, startup__cohort__isnull=False)
        .select_related("startup__cohort__program", "territory")
        .order_by("pk")
    )
    for sponsorship in sponsorships:
        if contribution := contribution_for_sponsorship(sponsorship, year, today=today):
            created.append(contribution)
    for membership in NetworkMembership.objects.filter(active).select_related("territory"):
        period = _months_active(membership.start_date, membership.end_date, year)
        if period is None:
            continue
        contribution = _create_contribution(
            year=year,
            period=period,
            yearly_cents=membership.yearly_amount_cents,
            today=today,
            territory=membership.territory,
            network_membership=membership,
            kind=ContributionKind.MEMBERSHIP,
        )
        if contribution:
            created.append(contribution)
    return created


def contribution_refresh(contribution: Contribution) -> Contribution:
    """Recompute what was paid and the status from the payments (the only place that sets them)."""
    payments = list(contribution.payments.all())
    paid = sum(payment.net_cents for payment in payments)
    statuses = {payment.status for payment in payments}
    if contribution.status == ContributionStatus.CANCELLED:
        status = ContributionStatus.CANCELLED
    elif paid >= contribution.amount_cents:
        status = ContributionStatus.PAID
    elif PaymentStatus.PENDING in statuses:
        status = ContributionStatus.PENDING
    elif paid == 0 and PaymentStatus.REFUNDED in statuses:
        status = ContributionStatus.REFUNDED
    elif paid == 0 and payments and payments[-1].status == PaymentStatus.FAILED:
        status = ContributionStatus.FAILED
    else:
        status = ContributionStatus.DUE
    contribution.paid_cents = paid
    contribution.status = status
    contribution.save(update_fields=["paid_cents", "status"])
    return contribution


def _locked(contribution: Contribution) -> Contribution:
    return (
        Contribution.objects.select_for_update().select_related("territory").get(pk=contribution.pk)
    )


# --- Payments recorded by staff ------------------------------------------------------------


@transaction.atomic
def payment_record_manual(
    contribution: Contribution,
    *,
    method: str,
    amount_cents: int,
    paid_on: datetime.date,
    reference: str,
    recorded_by,
    note: str = "",
    today: datetime.date | None = None,
) -> Payment:
    """A bank transfer or an administrative mandate received; partial payments add up."""
    today = today or timezone.localdate()
    contribution = _locked(contribution)
    if contribution.status == ContributionStatus.CANCELLED:
        raise IncubatorError(_("Cette contribution est annulée : aucun paiement ne s’y rattache."))
    if method not in MANUAL_METHODS:
        raise InvalidValue(
            _("Choisissez le virement bancaire ou le mandat administratif."), field="method"
        )
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidValue(_("Le montant doit être positif."), field="amount")
    if amount_cents > contribution.remaining_cents:
        raise InvalidValue(
            _("Le montant dépasse le reste à payer (%(remaining)s).")
            % {"remaining": euros(contribution.remaining_cents)},
            field="amount",
        )
    if paid_on is None or paid_on > today:
        raise InvalidValue(_("La date de réception ne peut pas être future."), field="paid_on")
    reference = (reference or "").strip()
    if not reference:
        raise InvalidValue(
            _("Indiquez la référence du virement ou le numéro du mandat."), field="reference"
        )
    payment = Payment.objects.create(
        contribution=contribution,
        method=method,
        status=PaymentStatus.SUCCEEDED,
        amount_cents=amount_cents,
        currency=CURRENCY,
        paid_on=paid_on,
        reference=reference[:200],
        note=(note or "").strip(),
        recorded_by=recorded_by,
    )
    contribution_refresh(contribution)
    _log_manual_payment("payment", payment, contribution, user=recorded_by)
    return payment


@transaction.atomic
def payment_accept_disputed(payment: Payment, *, by, note: str) -> Payment:
    """Staff checked a disputed payment and keep it: it now counts towards the contribution.

    What cannot count (another currency, more than what remains) is refunded from Stripe
    first; the refund webhook then lowers the payment.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    contribution = _locked(payment.contribution)
    if payment.status != PaymentStatus.DISPUTED:
        raise IncubatorError(_("Ce paiement n’est pas à vérifier."))
    note = (note or "").strip()
    if not note:
        raise InvalidValue(_("Expliquez pourquoi ce paiement est accepté."), field="note")
    if payment.currency != CURRENCY:
        raise IncubatorError(
            _(
                "Un paiement dans une autre devise ne peut pas être compté : remboursez-le depuis Stripe."
            )
        )
    if payment.amount_cents - payment.refunded_cents > contribution.remaining_cents:
        raise IncubatorError(
            _(
                "Ce paiement dépasse le reste à payer (%(remaining)s) : remboursez la différence "
                "depuis Stripe, puis acceptez-le."
            )
            % {"remaining": euros(contribution.remaining_cents)}
        )
    payment.status = PaymentStatus.SUCCEEDED
    payment.paid_on = payment.paid_on or timezone.localdate()
    payment.note = "\n".join(
        part
        for part in (
            payment.note,
            _("Accepté par %(user)s : %(note)s") % {"user": by, "note": note},
        )
        if part
    )
    payment.save(update_fields=["status", "paid_on", "note", "updated"])
    contribution_refresh(contribution)
    _log_manual_payment("payment_accepted", payment, contribution, user=by)
    return payment


def _log_manual_payment(event: str, payment: Payment, contribution: Contribution, *, user) -> None:
    """Money counted on a person's word goes to the security log, once it is committed."""
    transaction.on_commit(
        lambda: log_event(
            event,
            user=user,
            outcome=payment.status,
            source="manual",
            method=payment.method,
            amount_cents=payment.amount_cents,
            payment_id=payment.pk,
            contribution_id=contribution.pk,
            contribution_status=contribution.status,
        )
    )


@transaction.atomic
def contribution_cancel(contribution: Contribution, *, by, reason: str) -> Contribution:
    """Staff cancel a contribution called by mistake; only one nothing was paid on."""
    contribution = _locked(contribution)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValue(_("Indiquez le motif de l’annulation."), field="reason")
    if contribution.status == ContributionStatus.CANCELLED:
        raise IncubatorError(_("Cette contribution est déjà annulée."))
    if (
        contribution.paid_cents
        or contribution.payments.filter(
            status__in=(PaymentStatus.PENDING, PaymentStatus.DISPUTED)
        ).exists()
    ):
        raise IncubatorError(
            _("Des paiements sont rattachés à cette contribution : elle ne peut pas être annulée.")
        )
    contribution.status = ContributionStatus.CANCELLED
    contribution.cancellation_reason = _("%(reason)s (annulée par %(user)s le %(date)s)") % {
        "reason": reason,
        "user": by,
        "date": timezone.localdate().strftime("%d/%m/%Y"),
    }
    contribution.checkout_session_id = ""
    contribution.checkout_url = ""
    contribution.save(
        update_fields=["status", "cancellation_reason", "checkout_session_id", "checkout_url"]
    )
    transaction.on_commit(
        lambda: log_event(
            "contribution_cancelled",
            user=by,
            contribution_id=contribution.pk,
            amount_cents=contribution.amount_cents,
        )
    )
    return contribution


# --- Online payment: Stripe Checkout --------------------------------------------------------


def online_payment_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


# Stripe answers within a second or two. The library waits 80 s by default: a Stripe that
# accepts connections and never answers would hold the request until gunicorn kills the
# worker (30 s) instead of showing UNAVAILABLE. Paying makes two calls in a row.
STRIPE_TIMEOUT_SECONDS = 10


def _client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base,
        max_network_retries=0,
        http_client=stripe.new_default_http_client(timeout=STRIPE_TIMEOUT_SECONDS),
    )


UNAVAILABLE = _(
    "Le paiement en ligne est momentanément indisponible. Réessayez plus tard, "
    "ou payez par virement."
)


def _customer_id(client: stripe.StripeClient, territory) -> str:
    account, _created = BillingAccount.objects.select_for_update().get_or_create(
        territory=territory
    )
    if not account.stripe_customer_id:
        customer = client.v1.customers.create(
            params={"name": territory.name, "metadata": {"territory_id": str(territory.pk)}},
            options={"idempotency_key": f"territory-{territory.pk}-customer"},
        )
        account.stripe_customer_id = customer.id
        account.save(update_fields=["stripe_customer_id"])
    return account.stripe_customer_id


def _description(contribution: Contribution) -> str:
    if contribution.sponsorship_id:
        return _("Contribution %(year)s — startup %(startup)s") % {
            "year": contribution.year,
            "startup": contribution.sponsorship.startup.name,
        }
    return _("Adhésion %(year)s au réseau") % {"year": contribution.year}


@transaction.atomic
def checkout_start(
    contribution: Contribution,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime.datetime | None = None,
) -> str:
    """The Stripe Checkout page to pay what remains of `contribution`.

    One session per contribution: an open session for the same amount is reused, so
    a double click or a second tab does not open a second payment. Nothing is
    recorded as paid here; only the signed webhook does that.
    """
    now = now or timezone.now()
    if not online_payment_enabled():
        raise IncubatorError(_("Le paiement en ligne n’est pas activé sur cette plateforme."))
    contribution = _locked(contribution)
    if contribution.status in (ContributionStatus.PAID, ContributionStatus.CANCELLED):
        raise IncubatorError(_("Cette contribution n’a plus rien à payer."))
    if contribution.status == ContributionStatus.PENDING:
        raise IncubatorError(
            _(
                "Un paiement est en cours de traitement pour cette contribution : attendez sa confirmation."
            )
        )
    remaining = contribution.remaining_cents
    if remaining <= 0:
        raise IncubatorError(_("Cette contribution n’a plus rien à payer."))
    if (
        contribution.checkout_session_id
        and contribution.checkout_amount_cents == remaining
        and contribution.checkout_expires_at
        and contribution.checkout_expires_at > now + datetime.timedelta(minutes=10)
    ):
        return contribution.checkout_url
    client = _client()
    try:
        customer = _customer_id(client, contribution.territory)
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "customer": customer,
                "client_reference_id": str(contribution.pk),
                "allowed_payment_method_types": ["card", "sepa_debit"],
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": CURRENCY,
                            "unit_amount": remaining,
                            "product_data": {"name": _description(contribution)},
                        },
                    }
                ],
                "metadata": {
                    "contribution_id": str(contribution.pk),
                    "territory_id": str(contribution.territory_id),
                },
                "payment_intent_data": {
                    "metadata": {"contribution_id": str(contribution.pk)},
                },
                "locale": "fr",
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": f"contribution-{contribution.pk}-{uuid.uuid4()}"},
        )
    except stripe.StripeError as error:
        logger.warning("Stripe checkout failed for contribution %s: %s", contribution.pk, error)
        raise IncubatorError(UNAVAILABLE) from error
    contribution.checkout_session_id = session.id
    contribution.checkout_url = session.url
    contribution.checkout_expires_at = datetime.datetime.fromtimestamp(
        session.expires_at, tz=datetime.UTC
    )
    contribution.checkout_amount_cents = remaining
    contribution.save(
        update_fields=[
            "checkout_session_id",
            "checkout_url",
            "checkout_expires_at",
            "checkout_amount_cents",
        ]
    )
    return session.url


# --- Stripe events: the webhook and the reconciliation ----------------------------------------


class WebhookRejected(Exception):
    """A payload that is not a genuine, fresh Stripe event: answer 400, change nothing."""


def webhook_receive(payload: bytes, signature: str) -> StripeEvent:
    """Check the signature on the raw body, then apply the event (once)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookRejected("no webhook secret configured")
    try:
        stripe.Webhook.construct_event(payload, signature or "", settings.STRIPE_WEBHOOK_SECRET)
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookRejected(str(error)) from error
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise WebhookRejected("not an event")
    return event_apply(event)


@transaction.atomic
def event_apply(event: dict) -> StripeEvent:
    """Store the event by id and apply it; a duplicate or a replay changes nothing."""
    row, _created = StripeEvent.objects.select_for_update().get_or_create(
        event_id=event["id"],
        defaults={
            "type": str(event["type"])[:100],
            "livemode": bool(event.get("livemode")),
            "payload": event,
        },
    )
    if row.processed_at is not None:
        return row
    handler = _HANDLERS.get(row.type)
    obj = (event.get("data") or {}).get("object") or {}
    if handler is None:
        outcome, payment = _("Type d’événement non traité : conservé."), None
    else:
        outcome, payment = handler(obj)
    row.outcome = str(outcome)[:300]
    row.payment = payment
    row.processed_at = timezone.now()
    row.save(update_fields=["outcome", "payment", "processed_at"])
    if payment is not None:
        transaction.on_commit(
            lambda: log_event(
                "payment",
                outcome=payment.status,
                stripe_event=row.event_id,
                stripe_event_type=row.type,
                payment_id=payment.pk,
                contribution_id=payment.contribution_id,
                contribution_status=Contribution.objects.get(pk=payment.contribution_id).status,
            )
        )
    return row


def _contribution_of(session: dict) -> Contribution | None:
    reference = (session.get("metadata") or {}).get("contribution_id") or session.get(
        "client_reference_id"
    )
    if not str(reference or "").isdigit():
        return None
    contribution = Contribution.objects.filter(pk=int(reference)).first()
    return _locked(contribution) if contribution else None


def _session_completed(session: dict):
    contribution = _contribution_of(session)
    if contribution is None:
        return _("Aucune contribution ne correspond à cette session."), None
    payment = Payment.objects.filter(stripe_checkout_session_id=session.get("id")).first()
    if payment is not None:
        return _("Paiement déjà enregistré."), payment
    amount = session.get("amount_total")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        return _("Montant illisible : rien n’est enregistré."), None
    currency = str(session.get("currency") or "").lower()
    expected = contribution.checkout_amount_cents or contribution.remaining_cents
    paid_now = session.get("payment_status") == "paid"
    payment = Payment(
        contribution=contribution,
        method=PaymentMethod.CARD if paid_now else PaymentMethod.SEPA_DEBIT,
        amount_cents=amount,
        currency=currency[:3],
        stripe_checkout_session_id=session.get("id"),
        stripe_payment_intent_id=str(session.get("payment_intent") or "")[:255],
    )
    # An old session paid after a transfer would overpay: that is a mismatch too.
    if currency != CURRENCY or amount != expected or amount > contribution.remaining_cents:
        received = (
            euros(amount) if currency == CURRENCY else f"{amount / 100:.2f} {currency or '?'}"
        )
        payment.status = PaymentStatus.DISPUTED
        payment.note = _(
            "Reçu %(received)s pour %(expected)s attendus (reste à payer : %(remaining)s) : "
            "à vérifier."
        ) % {
            "received": received,
            "expected": euros(expected),
            "remaining": euros(contribution.remaining_cents),
        }
        payment.save()
        _alert_staff(payment)
        outcome = _("Montant ou devise inattendus : paiement à vérifier, contribution inchangée.")
    else:
        payment.status = PaymentStatus.SUCCEEDED if paid_now else PaymentStatus.PENDING
        payment.paid_on = timezone.localdate() if paid_now else None
        payment.save()
        outcome = _("Paiement reçu.") if paid_now else _("Prélèvement SEPA en cours.")
    contribution.checkout_session_id = ""
    contribution.checkout_url = ""
    contribution.checkout_expires_at = None
    contribution.checkout_amount_cents = None
    contribution.save(
        update_fields=[
            "checkout_session_id",
            "checkout_url",
            "checkout_expires_at",
            "checkout_amount_cents",
        ]
    )
    contribution_refresh(contribution)
    return outcome, payment


def _async_result(session: dict, *, succeeded: bool):
    payment = Payment.objects.filter(stripe_checkout_session_id=session.get("id")).first()
    if payment is None:  # the completion event was missed: record it first
        _outcome, payment = _session_completed(session)
        if payment is None:
            return _outcome, None
    contribution = _locked(payment.contribution)
    if payment.status == PaymentStatus.DISPUTED:
        return _("Paiement à vérifier : inchangé."), payment
    if succeeded:
        payment.status = PaymentStatus.SUCCEEDED
        payment.paid_on = payment.paid_on or timezone.localdate()
    else:
        payment.status = PaymentStatus.FAILED
    payment.save(update_fields=["status", "paid_on", "updated"])
    contribution_refresh(contribution)
    return (_("Prélèvement reçu.") if succeeded else _("Prélèvement échoué.")), payment


def _charge_refunded(charge: dict):
    intent = charge.get("payment_intent")
    payment = Payment.objects.filter(stripe_payment_intent_id=intent).first() if intent else None
    if payment is None:
        return _("Aucun paiement ne correspond à ce remboursement."), None
    contribution = _locked(payment.contribution)
    refunded = charge.get("amount_refunded")
    if not isinstance(refunded, int) or refunded < 0:
        return _("Montant remboursé illisible : ignoré."), payment
    payment.refunded_cents = min(refunded, payment.amount_cents)
    if payment.refunded_cents >= payment.amount_cents:
        payment.status = PaymentStatus.REFUNDED
    payment.save(update_fields=["refunded_cents", "status", "updated"])
    contribution_refresh(contribution)
    return _("Remboursement enregistré."), payment


_HANDLERS = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": lambda s: _async_result(s, succeeded=True),
    "checkout.session.async_payment_failed": lambda s: _async_result(s, succeeded=False),
    "charge.refunded": _charge_refunded,
}
HANDLED_EVENT_TYPES = tuple(_HANDLERS)


def _alert_staff(payment: Payment) -> None:
    """Tell staff after the commit: a payment did not match what was owed."""
    recipients = list(
        User.objects.filter(Q(is_staff=True) | Q(role=Role.STAFF), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    logger.warning("Disputed payment %s: %s", payment.pk, payment.note)
    if not recipients:
        return
    message = EmailMessage(
        subject=_("[%(site)s] Paiement à vérifier : %(territory)s")
        % {"site": settings.WAGTAIL_SITE_NAME, "territory": payment.contribution.territory},
        body=_(
            "Un paiement en ligne ne correspond pas à la contribution attendue.\n\n"
            "Contribution : %(contribution)s\n%(note)s\n\n"
            "La contribution n’a pas été marquée payée. Vérifiez le paiement dans Stripe "
            "puis enregistrez la décision dans l’administration."
        )
        % {"contribution": payment.contribution, "note": payment.note},
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    transaction.on_commit(lambda: message.send(fail_silently=True))


def reconcile_since(since: datetime.datetime) -> list[StripeEvent]:
    """Apply the events Stripe sent since `since` that never reached us (idempotent)."""
    if not online_payment_enabled():
        raise IncubatorError(_("Le paiement en ligne n’est pas activé sur cette plateforme."))
    try:
        events: Iterable = (
            _client()
            .v1.events.list(
                params={
                    "created": {"gte": int(since.timestamp())},
                    "types": list(HANDLED_EVENT_TYPES),
                    "limit": 100,
                }
            )
            .auto_paging_iter()
        )
        return [event_apply(event.to_dict()) for event in events]
    except stripe.StripeError as error:
        raise IncubatorError(UNAVAILABLE) from error
