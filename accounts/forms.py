from django import forms
from django.utils.translation import gettext_lazy as _

from allauth.account.adapter import get_adapter
from dsfr.forms import DsfrBaseForm
from dsfr.utils import dsfr_input_class_attr

from accounts.models import User

# What a person without a password (ProConnect only) types to confirm a deletion.
DELETION_CONFIRMATION_WORD = "SUPPRIMER"


class QuietDsfrForm(DsfrBaseForm):
    def get_context(self):
        # DsfrBaseForm.get_context warns on every render (warnings fail the tests);
        # required fields keep their DSFR marker, as in incubator.forms.WorkspaceForm.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False
        return context


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


class ProfileForm(forms.ModelForm, QuietDsfrForm):
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


class AccountDeleteForm(QuietDsfrForm):
    """Deleting one's account: the password again, or a typed word without a password."""

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            self.fields["password"] = forms.CharField(
                label=_("Votre mot de passe"),
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
            )
        else:
            self.fields["confirmation"] = forms.CharField(
                label=_("Pour confirmer, écrivez %(word)s") % {"word": DELETION_CONFIRMATION_WORD},
                help_text=_(
                    "Votre compte n’a pas de mot de passe : vous vous connectez par ProConnect."
                ),
            )
        for field in self.visible_fields():  # added after DsfrBaseForm styled the others
            dsfr_input_class_attr(field)

    def clean_password(self):
        password = self.cleaned_data["password"]
        # allauth's check, with its rate limit on failed attempts.
        if not get_adapter().reauthenticate(self.user, password):
            raise forms.ValidationError(
                _("Mot de passe incorrect : votre compte n’a pas été supprimé.")
            )
        return password

    def clean_confirmation(self):
        confirmation = self.cleaned_data["confirmation"]
        if confirmation.strip().upper() != DELETION_CONFIRMATION_WORD:
            raise forms.ValidationError(
                _("Écrivez %(word)s pour confirmer : votre compte n’a pas été supprimé.")
                % {"word": DELETION_CONFIRMATION_WORD}
            )
        return confirmation
