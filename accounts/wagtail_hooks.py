"""Deleting users from the Wagtail admin does what « Supprimer mon compte » does.

Wagtail would delete the row, which the decisions and lessons a person wrote hold with
PROTECT, so its reference index refuses. `account_delete` empties the row instead: the
person's data goes, what they wrote stays, attributed to « ancien membre »; the
confirmation pages say so (accounts/templates/wagtailusers/users/confirm_delete.html and
accounts/templates/accounts/wagtail/confirm_bulk_delete_users.html). Wagtail has already
checked that the administrator may delete these users (`user_can_delete_user`) before
this code runs.
"""

import functools

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail import hooks
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.users.views.bulk_actions import DeleteBulkAction
from wagtail.users.views.bulk_actions.user_bulk_action import UserBulkAction

from accounts.security_log import log_event
from accounts.services import (
    AccountDeletionRefused,
    account_delete,
    account_deletion_refusals,
    user_rights,
)


def _delete_accounts(request, users) -> None:
    """Raises AccountDeletionRefused, and then nothing has changed."""
    with transaction.atomic():
        for user in users:
            account_delete(user=user, deleted_by=request.user)
            transaction.on_commit(
                lambda user=user: log_event(
                    "account_deleted", request=request, user=user, deleted_by=request.user.pk
                )
            )


def log_account_rights(request, user, *, created: bool):
    # Wagtail's form may change the groups, the active and superuser flags: the log keeps
    # the rights as they are after the edit, and who made it.
    log_event(
        "account_rights_changed",
        request=request,
        subject_id=user.pk,
        created=created,
        **user_rights(user),
    )


hooks.register("after_create_user", functools.partial(log_account_rights, created=True))
hooks.register("after_edit_user", functools.partial(log_account_rights, created=False))


@hooks.register("before_delete_user")
def anonymise_instead_of_deleting(request, user):
    edit_page = redirect("wagtailusers_users:edit", user.pk)
    if request.method != "POST":
        refusals = account_deletion_refusals(user=user, deleted_by=request.user)
        for refusal in refusals:
            messages.error(request, refusal)
        if refusals:
            return edit_page
        return None  # Wagtail's confirmation page, wagtailusers/users/confirm_delete.html here
    name = user.get_full_name()
    try:
        _delete_accounts(request, [user])
    except AccountDeletionRefused as refusal:
        messages.error(request, refusal.message)
        return edit_page
    messages.success(
        request,
        _(
            "Le compte de « %(person)s » a été supprimé : ce que cette personne a écrit "
            "reste, attribué à « ancien membre »."
        )
        % {"person": name},
    )
    return redirect(get_valid_next_url_from_request(request) or "wagtailusers_users:index")


class AnonymiseUsersBulkAction(DeleteBulkAction):
    """Wagtail's bulk deletion of users, anonymising them instead: all of them or none.

    Registered after Wagtail's own (`order`), which it replaces. The records that refer to
    the users stay, so they are neither listed nor a reason to refuse.
    """

    template_name = "accounts/wagtail/confirm_bulk_delete_users.html"

    def annotate_items(self, items):
        self.is_protected = False
        return UserBulkAction.annotate_items(self, items)

    def object_context(self, item):
        return UserBulkAction.object_context(self, item)

    def get_execution_context(self):
        return {**super().get_execution_context(), "request": self.request}

    @classmethod
    def execute_action(cls, objects, request=None, **kwargs):
        _delete_accounts(request, objects)
        return len(objects), 0

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except AccountDeletionRefused as refusal:
            messages.error(
                self.request,
                _("Aucun compte n’a été supprimé : %(reason)s") % {"reason": refusal.message},
            )
            return redirect(self.next_url)

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d compte a été supprimé : ce que cette personne a écrit reste, "
            "attribué à « ancien membre ».",
            "%(count)d comptes ont été supprimés : ce que ces personnes ont écrit reste, "
            "attribué à « ancien membre ».",
            num_parent_objects,
        ) % {"count": num_parent_objects}


hooks.register("register_bulk_action", AnonymiseUsersBulkAction, order=1)
