from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.enums import Role

# How a deleted account's authored records name it (accounts.services.account_delete).
FORMER_MEMBER = _("ancien membre")


class UserManager(BaseUserManager):
    """Users are identified by their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.STAFF)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person using the platform, who logs in with an e-mail address."""

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    display_name = models.CharField(
        _("nom affiché"),
        max_length=150,
        blank=True,
        help_text=_("Le nom montré aux autres membres, par exemple « Camille Martin »."),
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.AGENT)
    receives_digests = models.BooleanField(
        _("recevoir les récapitulatifs"),
        default=True,
        help_text=_("Le récapitulatif hebdomadaire des alertes de vos startups."),
    )
    # The secret in the URL of the coach's committee calendar feed (.ics): calendar apps
    # subscribe without a session. Set on first use, rotated on request.
    calendar_token = models.CharField(
        _("jeton du calendrier"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Set when the person deleted their account: the row stays, emptied of everything
    # personal, so that the decisions and lessons they wrote keep an author.
    anonymised_at = models.DateTimeField(_("compte supprimé le"), null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name()

    @property
    def is_former_member(self) -> bool:
        return self.anonymised_at is not None

    def get_full_name(self):
        if self.is_former_member:
            return str(FORMER_MEMBER)
        return (
            self.display_name
            or " ".join(filter(None, [self.first_name, self.last_name]))
            or self.email
        )

    def get_short_name(self):
        if self.is_former_member:
            return str(FORMER_MEMBER)
        return self.display_name or self.first_name or self.email
