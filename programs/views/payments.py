"""Paying contributions: the référent's contributions page and pay button, Stripe's return
pages and webhook, and the receipts. Nothing here marks a contribution paid: only the
signed webhook (through `programs.billing`) or staff do."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, Sum
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from incubator.exceptions import IncubatorError
from incubator.views.territory import territories_of
from programs import billing
from programs.models import Contribution, ContributionStatus, Payment, PaymentStatus
from programs.receipts import render_receipt

TEMPLATES = "programs/payments/"
PAYABLE = (ContributionStatus.DUE, ContributionStatus.FAILED)
RECEIPT_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


def _contributions_of(user):
    """The contributions of the territories a user answers for; nobody else's."""
    return Contribution.objects.filter(territory__in=territories_of(user))


def _back_to_list(contribution) -> str:
    return f"{reverse('workspace:contributions')}?territoire={contribution.territory.slug}"


@require_GET
def contribution_list(request):
    territories = territories_of(request.user).order_by("name")
    if not territories.exists():
        raise PermissionDenied
    chosen = request.GET.get("territoire")
    territory = get_object_or_404(territories, slug=chosen) if chosen else territories.first()
    contributions = (
        Contribution.objects.filter(territory=territory)
        .select_related("sponsorship__startup", "network_membership")
        .prefetch_related(Prefetch("payments", Payment.objects.order_by("created", "pk")))
        .order_by("-year", "status", "due_date", "pk")
    )
    totals = contributions.exclude(status=ContributionStatus.CANCELLED).aggregate(
        due=Sum("amount_cents"),
        paid=Sum("paid_cents"),
        pending=Sum("amount_cents", filter=Q(status=ContributionStatus.PENDING)),
    )
    return render(
        request,
        f"{TEMPLATES}contribution_list.html",
        {
            "territory": territory,
            "territories": territories,
            "contributions": contributions,
            "total_due_cents": (totals["due"] or 0) - (totals["paid"] or 0),
            "total_paid_cents": totals["paid"] or 0,
            "pending_cents": totals["pending"] or 0,
            "online": billing.online_payment_enabled(),
            "payable": PAYABLE,
            "receipt_statuses": RECEIPT_STATUSES,
        },
    )


@require_POST
def contribution_pay(request, pk):
    contribution = get_object_or_404(_contributions_of(request.user), pk=pk)
    return_url = request.build_absolute_uri(reverse("payments:return", args=[contribution.pk]))
    cancel_url = request.build_absolute_uri(reverse("payments:cancel", args=[contribution.pk]))
    try:
        checkout_url = billing.checkout_start(
            contribution, success_url=return_url, cancel_url=cancel_url
        )
    except IncubatorError as error:
        messages.error(request, error.message)
        return redirect(_back_to_list(contribution))
    return redirect(checkout_url)


@require_GET
def payment_return(request, pk):
    """Back from Stripe: says what happens next and changes nothing (opening it proves nothing)."""
    contribution = get_object_or_404(
        _contributions_of(request.user).select_related("territory"), pk=pk
    )
    return render(
        request,
        f"{TEMPLATES}return.html",
        {"contribution": contribution, "back_url": _back_to_list(contribution)},
    )


@require_GET
def payment_cancel(request, pk):
    contribution = get_object_or_404(
        _contributions_of(request.user).select_related("territory"), pk=pk
    )
    messages.info(request, _("Paiement abandonné : rien n’a été débité."))
    return redirect(_back_to_list(contribution))


@csrf_exempt  # Stripe signs the body instead; the signature is checked on the raw bytes
@login_not_required
@require_POST
def stripe_webhook(request):
    try:
        event = billing.webhook_receive(request.body, request.headers.get("Stripe-Signature", ""))
    except billing.WebhookRejected:
        return HttpResponseBadRequest(_("Signature Stripe invalide."))
    return JsonResponse({"received": True, "outcome": event.outcome})


@require_GET
def receipt_download(request, pk):
    payment = get_object_or_404(
        Payment.objects.filter(
            contribution__in=_contributions_of(request.user), status__in=RECEIPT_STATUSES
        ).select_related("contribution__territory"),
        pk=pk,
    )
    response = HttpResponse(render_receipt(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recu-{payment.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Under /paiements/: the pay button, Stripe's returns and webhook, receipts.
payments_urlpatterns = [
    path("contributions/<int:pk>/payer/", contribution_pay, name="pay"),
    path("contributions/<int:pk>/retour/", payment_return, name="return"),
    path("contributions/<int:pk>/annulation/", payment_cancel, name="cancel"),
    path("recus/<int:pk>/", receipt_download, name="receipt"),
    path("stripe/webhook/", stripe_webhook, name="stripe_webhook"),
]

# Under /espace/: the référent's list.
urlpatterns = [path("territoire/contributions/", contribution_list, name="contributions")]
