from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A user's main role on the platform (DESIGN §6).

    Which startups, incubator or territory the role applies to is held by
    the domain relations (memberships, coaching, sponsorship).
    """

    AGENT = "agent", _("Agent-entrepreneur")
    COACH = "coach", _("Coach")
    TERRITORY = "territory", _("Référent de territoire")
    EDITOR = "editor", _("Éditeur")
    STAFF = "staff", _("Équipe de l’incubateur")


# Roles whose accounts can change decisions or money: MFA is mandatory.
MFA_REQUIRED_ROLES = frozenset({Role.COACH, Role.STAFF})
