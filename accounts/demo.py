"""Demo accounts: one per role, always the same so guides and scripts can use them."""

from django.db import transaction

from allauth.account.models import EmailAddress

from accounts.enums import Role
from accounts.models import User
from accounts.services import user_grant_role_groups

DEMO_PASSWORD = "demo-demo-demo"  # noqa: S105 - published on purpose, development only

DEMO_USERS = [
    # email, display name, role, is superuser
    ("admin@demo.example", "Alice Administratrice", Role.STAFF, True),
    ("coach@demo.example", "Camille Coach", Role.COACH, False),
    ("agent@demo.example", "Antoine Agent", Role.AGENT, False),
    ("territoire@demo.example", "Thérèse Territoire", Role.TERRITORY, False),
    ("editeur@demo.example", "Élise Éditrice", Role.EDITOR, False),
]


@transaction.atomic
def seed_demo_users() -> list[User]:
    """Create or reset the demo accounts (idempotent)."""
    users = []
    for email, display_name, role, is_superuser in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            email=email,
            defaults={
                "display_name": display_name,
                "role": role,
                "is_superuser": is_superuser,
                "is_staff": is_superuser,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        user_grant_role_groups(user=user)
        users.append(user)
    return users
