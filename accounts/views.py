from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.forms import ProfileForm


def profile(request):
    """The signed-in user's own profile: the name shown to others."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Votre profil a été enregistré."))
        return redirect("account_profile")
    return render(request, "accounts/profile.html", {"form": form})
