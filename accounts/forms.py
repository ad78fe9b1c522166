from django import forms
from django.utils.translation import gettext_lazy as _

from dsfr.forms import DsfrBaseForm

from accounts.models import User


class SignupForm(DsfrBaseForm):
    """Extra sign-up field: the name other members will see."""

    display_name = forms.CharField(
        label=_("Prénom et nom"),
        max_length=150,
        help_text=_("Affiché aux autres membres de votre incubateur."),
    )

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"].strip()
        user.save(update_fields=["display_name"])


class ProfileForm(forms.ModelForm, DsfrBaseForm):
    class Meta:
        model = User
        fields = ["display_name"]
        labels = {"display_name": _("Prénom et nom")}
