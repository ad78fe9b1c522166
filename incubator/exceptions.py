"""Domain errors: each carries a translatable French message for the user."""

from django.utils.translation import gettext_lazy as _


class IncubatorError(Exception):
    """A domain rule was broken; `message` is shown to the user as is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class InvalidValue(IncubatorError):
    """A rule about one input was broken; `field` names it so a form shows the message beside it."""

    def __init__(self, message, *, field: str):
        super().__init__(message)
        self.field = field


class InvalidTransition(IncubatorError):
    pass


class FailureRequired(InvalidTransition):
    pass


class DeletionForbidden(IncubatorError):
    """Phase history, reviews, failures and lessons are archived, never deleted."""

    def __init__(self, model, changed=False):
        if changed:
            message = _(
                "L’historique des phases ne se modifie pas : enregistrez une nouvelle décision."
            )
        else:
            message = _("« %(name)s » ne se supprime pas : archivez-le.") % {
                "name": model._meta.verbose_name
            }
        super().__init__(message)
