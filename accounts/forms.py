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
    """The user's own settings: the name shown to others, and the weekly digest."""

    class Meta:
        model = User
        fields = ["display_name", "receives_digests"]
        labels = {
            "display_name": _("Prénom et nom"),
            "receives_digests": _("Recevoir le récapitulatif hebdomadaire par e-mail"),
        }
        help_texts = {
            "receives_digests": _(
                "Pour les coachs : chaque semaine, les alertes des startups que vous accompagnez "
                "(comités en retard, phases dépassées, startups sans mise à jour)."
            )
        }

    def get_context(self):
        # DsfrBaseForm.get_context warns on every render (warnings fail the tests);
        # required fields keep their DSFR marker, as in incubator.forms.WorkspaceForm.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False
        return context
