"""Permission predicates for the lifecycle (DESIGN §6)."""

from accounts.enums import Role


def is_network_staff(user) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.is_staff or user.role == Role.STAFF)
    )


def can_reopen_startup(user) -> bool:
    """Terminal phases accept no further change except a reopening by staff."""
    return is_network_staff(user)
