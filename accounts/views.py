import json

from django.contrib import messages
from django.contrib.auth import logout
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services
from accounts.forms import AccountDeleteForm, ProfileForm
from accounts.security_log import log_event


def profile(request):
    """The signed-in user's own profile: the name shown to others."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Votre profil a été enregistré."))
        return redirect("account_profile")
    return render(request, "accounts/profile.html", {"form": form})


@require_GET
@never_cache
def data_download(request):
    """« Télécharger mes données »: the signed-in user's own data, as a JSON file."""
    data = services.personal_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"mes-donnees-territoires-lab-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
@never_cache
def account_delete(request):
    """« Supprimer mon compte »: what goes and what stays, then the password to confirm."""
    user = request.user
    refusals = services.account_deletion_refusals(user=user)
    form = AccountDeleteForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if refusals:
            status = 400
        elif form.is_valid():
            try:
                services.account_delete(user=user)
            except services.AccountDeletionRefused as error:
                refusals, status = [error.message], 400
            else:
                log_event("account_deleted", request=request, user=user)
                logout(request)
                messages.success(
                    request,
                    _(
                        "Votre compte a été supprimé. Ce que vous avez écrit reste, "
                        "attribué à « ancien membre »."
                    ),
                )
                return redirect("/")
        else:
            status = 400
    context = {
        "form": form,
        "refusals": refusals,
        "warnings": services.account_deletion_warnings(user=user),
    }
    return render(request, "accounts/account_delete.html", context, status=status)
