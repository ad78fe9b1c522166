"""Back-office view: staff record a bank transfer or an administrative mandate received.

Payments never go through a model form: this view calls `programs.billing`, which
checks the amount against what remains and recomputes the contribution.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incubator.exceptions import IncubatorError
from incubator.permissions import is_network_staff
from programs import billing
from programs.models import Contribution, PaymentMethod


class ManualPaymentForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Moyen de paiement"),
        choices=[(method.value, method.label) for method in billing.MANUAL_METHODS],
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Montant reçu (€)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        localize=True,  # staff type « 1 234,50 »
    )
    paid_on = forms.DateField(
        label=gettext_lazy("Reçu le"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(
        label=gettext_lazy("Référence du virement ou numéro du mandat"), max_length=200
    )
    note = forms.CharField(
        label=gettext_lazy("Remarque"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def contribution_payment(request, pk):
    if not is_network_staff(request.user):
        raise PermissionDenied
    contribution = get_object_or_404(
        Contribution.objects.select_related("territory", "sponsorship__startup"), pk=pk
    )
    form = ManualPaymentForm(
        request.POST or None,
        initial={
            "amount": Decimal(contribution.remaining_cents) / 100,
            "method": PaymentMethod.BANK_TRANSFER,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            billing.payment_record_manual(
                contribution,
                method=data["method"],
                amount_cents=int(data["amount"] * 100),
                paid_on=data["paid_on"],
                reference=data["reference"],
                note=data["note"],
                recorded_by=request.user,
            )
        except IncubatorError as error:
            field = getattr(error, "field", None)
            form.add_error(field if field in form.fields else None, error.message)
        else:
            messages.success(request, _("Le paiement est enregistré ; le reçu est disponible."))
            return redirect(reverse("wagtailsnippets_programs_contribution:list"))
    return TemplateResponse(
        request,
        "programs/admin/contribution_payment.html",
        {
            "contribution": contribution,
            "form": form,
            "payments": contribution.payments.select_related("recorded_by"),
            "reason_form": ReasonForm(),
        },
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


def _staff_action(request, pk, action, success):
    """Run a staff decision on a contribution (POST), then back to its payment page."""
    if not is_network_staff(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    contribution = get_object_or_404(Contribution, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez un motif."))
    else:
        try:
            action(contribution, form.cleaned_data["reason"])
        except IncubatorError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
    return redirect(reverse("wagtailsnippets_programs_contribution:payment", args=[pk]))


def contribution_cancel(request, pk):
    return _staff_action(
        request,
        pk,
        lambda contribution, reason: billing.contribution_cancel(
            contribution, by=request.user, reason=reason
        ),
        _("La contribution est annulée."),
    )


def payment_accept(request, pk, payment_pk):
    def accept(contribution, reason):
        payment = get_object_or_404(contribution.payments, pk=payment_pk)
        billing.payment_accept_disputed(payment, by=request.user, note=reason)

    return _staff_action(request, pk, accept, _("Le paiement est accepté et compté."))
