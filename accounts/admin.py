from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.security_log import log_event
from accounts.services import (
    account_delete,
    account_deletion_refusals,
    user_grant_role_groups,
    user_rights,
)

ROLE_HELP_TEXT = _(
    "Les rôles « Éditeur » et « Équipe de l’incubateur » donnent accès à l’administration "
    "Wagtail par le groupe « Editors » (pages, images, documents), ajouté à l’enregistrement. "
    "Le back-office des startups et des programmes demande en plus un groupe qui en donne "
    "les droits, ou le statut de superutilisateur."
)


# The fields whose change the security log records: what the account may do.
RIGHTS_FIELDS = frozenset(
    {"role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"}
)


def superuser_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


# Django's own admin is a superuser tool; editors and staff use Wagtail's.
admin.site.has_permission = superuser_only


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_staff", "is_active"]
    list_filter = ["role", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identité"), {"fields": ["display_name", "first_name", "last_name", "role"]}),
        (
            _("Droits"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:  # the add form has no role field
            kwargs["help_texts"] = {"role": ROLE_HELP_TEXT}
        return super().get_form(request, obj, **kwargs)

    def save_related(self, request, form, formsets, change):
        # After the form's own groups are saved, which would otherwise replace ours.
        super().save_related(request, form, formsets, change)
        added_groups = user_grant_role_groups(user=form.instance)
        if not change or added_groups or RIGHTS_FIELDS.intersection(form.changed_data):
            log_event(
                "account_rights_changed",
                request=request,
                subject_id=form.instance.pk,
                created=not change,
                changed=sorted(RIGHTS_FIELDS.intersection(form.changed_data)),
                **user_rights(form.instance),
            )
        for group in added_groups:
            self.message_user(
                request,
                gettext_now(
                    "« %(person)s » fait maintenant partie du groupe « %(group)s », que son "
                    "rôle demande."
                )
                % {"person": form.instance, "group": group.name},
                messages.INFO,
            )

    # Deleting a user here does what « Supprimer mon compte » does (account_delete): the
    # row is emptied of everything personal and stays, so that the decisions and lessons
    # it wrote (held with PROTECT) keep an author, « ancien membre ».

    def get_deleted_objects(self, objs, request):
        # Nothing goes in cascade. What the confirmation page shows as "protected" (and
        # then refuses to delete) are the reasons an account must stay for now.
        users = list(objs)
        refusals = [
            refusal
            for user in users
            for refusal in account_deletion_refusals(user=user, deleted_by=request.user)
        ]
        return (
            [str(user) for user in users],
            {User._meta.verbose_name_plural: len(users)},
            set(),
            refusals,
        )

    def delete_model(self, request, obj):
        account_delete(user=obj, deleted_by=request.user)
        transaction.on_commit(
            lambda: log_event(
                "account_deleted", request=request, user=obj, deleted_by=request.user.pk
            )
        )

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        # All of them or none: the bulk action has no transaction of its own.
        for user in queryset:
            self.delete_model(request, user)
