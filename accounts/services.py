"""Accounts: the Wagtail groups a role needs; a person's own data (RGPD), what we hold
about them, and deleting their account.

Deleting an account anonymises the user row instead of removing it. Phase decisions,
committees, failures and lessons point to their author with PROTECT "for
traceability", and phase history rows are immutable: removing the row would mean
rewriting that history (or losing it). Emptying the row keeps every record and its
integrity, and still tells apart the decisions of different former members, while
nothing left in it identifies the person: their authored records read "ancien membre".
"""

from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail.admin.models import EditingSession, FormState
from wagtail.models import APIToken, ModelLogEntry, PageLogEntry, PageSubscription, Revision
from wagtail.users.models import UserProfile

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount

from accounts.enums import Role
from accounts.models import FORMER_MEMBER, User
from accounts.proconnect.views import PROVIDER_ID
from incubator.enums import TERMINAL_PHASES
from incubator.exceptions import IncubatorError
from incubator.models import (
    Failure,
    GateEvidence,
    Lesson,
    Membership,
    Milestone,
    PhaseTransition,
    Report,
    Review,
    Startup,
    Territory,
)
from programs.calls import (
    Application,
    ApplicationComment,
    ApplicationDocument,
    ApplicationScore,
    ApplicationStatus,
)
from programs.payments import Payment

EXPORT_FORMAT = "territoires-lab/mes-donnees/1"
PROVIDER_NAMES = {PROVIDER_ID: "ProConnect"}
# The ProConnect claims that describe the person (the ID token's technical claims,
# nonce, audience, expiry…, are not their data).
PROCONNECT_PERSON_CLAIMS = ("sub", "email", "given_name", "usual_name", "siret", "uid")
# Records with a `history` (django-simple-history) whose edits name who made them.
HISTORY_MODELS = (Startup, Review, Failure, Lesson)


# The Wagtail group each role needs for its share of the admin (DESIGN §6: editors edit
# the CMS pages, the network's staff may do everything, the CMS included). Wagtail's own
# migrations create "Editors": access to the admin, pages, images and documents.
ROLE_GROUPS = {Role.EDITOR: "Editors", Role.STAFF: "Editors"}


def user_grant_role_groups(*, user: User) -> list[Group]:
    """Put the person in the Wagtail group their role needs; returns the groups added.

    Never removes a group: those an administrator chose stay as they are.
    """
    name = ROLE_GROUPS.get(user.role)
    group = Group.objects.filter(name=name).first() if name else None
    if group is None or user.groups.filter(pk=group.pk).exists():
        return []
    user.groups.add(group)
    return [group]


def user_rights(user: User) -> dict:
    """What the account may do, as the security log records it after an admin's edit."""
    return {
        "role": user.role,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }


class AccountDeletionRefused(IncubatorError):
    """The account cannot be deleted yet: someone else must take over first."""


# --- Export ------------------------------------------------------------------------


def _absolute(viewname: str, *args) -> str:
    return settings.SITE_URL + reverse(viewname, args=args)


def _startup(startup: Startup) -> dict:
    return {
        "nom": startup.name,
        "lien": _absolute("workspace:startup_detail", startup.slug),
    }


def _proconnect_claims(account: SocialAccount) -> dict:
    data = account.extra_data or {}
    claims = {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}
    return {name: claims[name] for name in PROCONNECT_PERSON_CLAIMS if name in claims}


def personal_data_export(*, user: User) -> dict:
    """Everything the platform holds about `user`, and only about them, for the user.

    Never a secret: no password hash, no MFA secret or recovery code, no calendar
    token, no OAuth token. Records they wrote are listed by title, date and link.
    """
    applications = (
        Application.objects.filter(applicant=user)
        .select_related("call", "sponsor_territory", "startup")
        .prefetch_related("answers__question", "documents")
        .order_by("created", "pk")
    )
    return {
        "format": EXPORT_FORMAT,
        "genere_le": timezone.now(),
        "description": _(
            "Les données personnelles que %(site)s conserve sur vous, "
            "téléchargées depuis votre profil."
        )
        % {"site": settings.WAGTAIL_SITE_NAME},
        "compte": {
            "adresse_email": user.email,
            "nom_affiche": user.display_name,
            "prenom": user.first_name,
            "nom": user.last_name,
            "role": user.get_role_display(),
            "equipe_de_la_plateforme": user.is_staff,
            "administrateur": user.is_superuser,
            "inscrit_le": user.date_joined,
            "derniere_connexion": user.last_login,
            "recoit_le_recapitulatif": user.receives_digests,
            "lien_de_calendrier_actif": bool(user.calendar_token),
        },
        "adresses_email": [
            {"adresse": a.email, "principale": a.primary, "verifiee": a.verified}
            for a in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "connexion": {
            "mot_de_passe": user.has_usable_password(),
            "comptes_connectes": [
                {
                    # The provider's id: its app may no longer be configured.
                    "fournisseur": PROVIDER_NAMES.get(account.provider, account.provider),
                    "lie_le": account.date_joined,
                    "derniere_connexion": account.last_login,
                    "informations_recues": _proconnect_claims(account),
                }
                for account in SocialAccount.objects.filter(user=user).order_by("pk")
            ],
            "double_authentification": [
                {
                    "type": authenticator.get_type_display(),
                    "active_le": authenticator.created_at,
                    "derniere_utilisation": authenticator.last_used_at,
                }
                for authenticator in Authenticator.objects.filter(user=user).order_by("pk")
            ],
        },
        "equipes": [
            {
                "startup": _startup(m.startup),
                "role": m.get_role_display(),
                "debut": m.start_date,
                "fin": m.end_date,
                "jours_liberes_par_semaine": m.freed_days_per_week,
            }
            for m in Membership.objects.filter(user=user).select_related("startup")
        ],
        "incubateurs_accompagnes": list(user.coached_incubators.values_list("name", flat=True)),
        "promotions_accompagnees": [str(cohort) for cohort in user.cohorts.all()],
        "territoires_representes": list(user.territories.values_list("name", flat=True)),
        "contributions": _authored(user),
        "candidatures": [_application(application) for application in applications],
        "historique_des_modifications": _history(user),
        "administration": _admin_activity(user),
    }


def _authored(user: User) -> dict:
    return {
        "jalons": [
            {
                "titre": m.title,
                "etat": m.get_status_display(),
                "echeance": m.due_date,
                "atteint_le": m.achieved_on,
                "cree_le": m.created,
                "startup": _startup(m.startup),
            }
            for m in Milestone.objects.filter(author=user).select_related("startup")
        ],
        "comites_saisis": [
            {"date": r.date, "decision": r.get_decision_display(), "startup": _startup(r.startup)}
            for r in Review.objects.filter(recorded_by=user).select_related("startup")
        ],
        "decisions_de_phase": [
            {
                "date": t.date,
                "decision": t.get_kind_display(),
                "vers": t.get_to_phase_display(),
                "justification": t.rationale,
                "startup": _startup(t.startup),
            }
            for t in PhaseTransition.objects.filter(decided_by=user).select_related("startup")
        ],
        "echecs": [
            {
                "date": f.occurred_on,
                "ce_qui_a_echoue": f.get_scope_display(),
                "cause": f.get_reason_display(),
                "startup": _startup(f.startup),
            }
            for f in Failure.objects.filter(author=user).select_related("startup")
        ],
        "lecons": [
            {
                "titre": lesson.title,
                "visibilite": lesson.get_visibility_display(),
                "creee_le": lesson.created,
                "startup": _startup(lesson.startup),
            }
            for lesson in Lesson.objects.filter(author=user).select_related("startup")
        ],
        "preuves_de_criteres": [
            {
                "critere": str(e.criterion),
                "rempli": e.met,
                "modifiee_le": e.updated,
                "startup": _startup(e.startup),
            }
            for e in GateEvidence.objects.filter(updated_by=user).select_related(
                "startup", "criterion"
            )
        ],
        "notes_de_selection": [
            {"candidature": s.application.title, "critere": str(s.criterion), "note": s.score}
            for s in ApplicationScore.objects.filter(coach=user).select_related(
                "application", "criterion"
            )
        ],
        "commentaires_de_selection": [
            {"candidature": c.application.title, "ecrit_le": c.created, "commentaire": c.body}
            for c in ApplicationComment.objects.filter(author=user).select_related("application")
        ],
        "rapports_demandes": [
            {"rapport": str(r), "demande_le": r.requested_at}
            for r in Report.objects.filter(requested_by=user)
        ],
        "rapports_publies": [
            {"rapport": str(r), "publie_le": r.published_at}
            for r in Report.objects.filter(published_by=user)
        ],
        "paiements_enregistres": [
            {"recu": p.receipt_number, "contribution": str(p.contribution), "le": p.created}
            for p in Payment.objects.filter(recorded_by=user).select_related(
                "contribution__territory"
            )
        ],
    }


def _application(application: Application) -> dict:
    return {
        "appel_a_projets": application.call.title,
        "titre": application.title,
        "etat": application.get_status_display(),
        "probleme": application.problem_statement,
        "territoire_sponsor": str(application.sponsor_territory or ""),
        "contact_chez_le_sponsor": {
            "nom": application.sponsor_contact_name,
            "email": application.sponsor_contact_email,
            "fonction": application.sponsor_contact_role,
        },
        "envoyee_le": application.submitted_at,
        "decidee_le": application.decided_at,
        "motif_de_la_decision": application.decision_reason,
        "reponses": [
            {"question": answer.question.label, "reponse": answer.value}
            for answer in application.answers.all()
        ],
        "pieces_jointes": [
            {
                "nom": document.original_name,
                "taille_octets": document.size,
                "deposee_le": document.created,
                "lien": _absolute("workspace:application_document_download", document.pk),
            }
            for document in application.documents.all()
        ],
        "lien": _absolute("workspace:application_edit", application.pk),
    }


def _history(user: User) -> list[dict]:
    kinds = {"+": _("création"), "~": _("modification"), "-": _("suppression")}
    rows = []
    for model in HISTORY_MODELS:
        for version in model.history.filter(history_user=user).order_by("history_date"):
            rows.append(
                {
                    "le": version.history_date,
                    "fiche": f"{model._meta.verbose_name} — {version.instance}",
                    "action": kinds.get(version.history_type, version.history_type),
                }
            )
    return sorted(rows, key=lambda row: row["le"])


def _admin_activity(user: User) -> dict:
    return {
        "journal": [
            {"le": entry.timestamp, "action": entry.action, "objet": entry.label}
            for entry in [
                *PageLogEntry.objects.filter(user=user),
                *ModelLogEntry.objects.filter(user=user),
            ]
        ],
        "revisions": [
            {"le": revision.created_at, "objet": revision.object_str}
            for revision in Revision.objects.filter(user=user).order_by("created_at")
        ],
    }


# --- Deletion ----------------------------------------------------------------------


def _ongoing_startups():
    return Startup.objects.filter(archived_at__isnull=True).exclude(phase__in=TERMINAL_PHASES)


def _quoted(names) -> str:
    return ", ".join(f"« {name} »" for name in names)


def account_deletion_refusals(*, user: User, deleted_by: User | None = None) -> list[str]:
    """Why the account cannot be deleted yet, in French; empty when it can.

    A startup in progress must keep a coach (someone has to hold its committees and
    decide its phases), and the platform an administrator: a successor is named first,
    then the account is deleted. Addressed to the person, or, when an administrator
    (`deleted_by`) deletes someone else's account, to that administrator.
    """
    by_admin = deleted_by is not None and deleted_by.pk != user.pk
    refusals = []
    coached = (
        _ongoing_startups()
        .filter(Q(incubator__coaches=user) | Q(cohort__coaches=user))
        .distinct()
        .prefetch_related("incubator__coaches", "cohort__coaches")
        .order_by("name")
    )
    alone = [
        startup.name
        for startup in coached
        if {c.pk for c in startup.incubator.coaches.all()}
        | ({c.pk for c in startup.cohort.coaches.all()} if startup.cohort_id else set())
        == {user.pk}
    ]
    if alone and by_admin:
        refusals.append(
            ngettext(
                "« %(person)s » est le seul coach de la startup %(startups)s, toujours en "
                "cours : nommez un autre coach, puis supprimez ce compte.",
                "« %(person)s » est le seul coach des startups %(startups)s, toujours en "
                "cours : nommez un autre coach, puis supprimez ce compte.",
                len(alone),
            )
            % {"person": user.get_full_name(), "startups": _quoted(alone)}
        )
    elif alone:
        refusals.append(
            ngettext(
                "Vous êtes le seul coach de la startup %(startups)s, toujours en cours : "
                "demandez à l’équipe de la plateforme de nommer un autre coach, puis revenez "
                "supprimer votre compte.",
                "Vous êtes le seul coach des startups %(startups)s, toujours en cours : "
                "demandez à l’équipe de la plateforme de nommer un autre coach, puis revenez "
                "supprimer votre compte.",
                len(alone),
            )
            % {"startups": _quoted(alone)}
        )
    last_admin = (
        user.is_superuser
        and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
    )
    if last_admin and by_admin:
        refusals.append(
            _(
                "« %(person)s » est le dernier administrateur de la plateforme : donnez ce "
                "droit à une autre personne, puis supprimez ce compte."
            )
            % {"person": user.get_full_name()}
        )
    elif last_admin:
        refusals.append(
            _(
                "Vous êtes le dernier administrateur de la plateforme : donnez ce droit à une "
                "autre personne, puis revenez supprimer votre compte."
            )
        )
    return refusals


def account_deletion_warnings(*, user: User) -> list[str]:
    """What the deletion leaves without anyone, to tell the right people beforehand."""
    warnings = []
    today = timezone.localdate()
    current = Q(memberships__end_date__isnull=True) | Q(memberships__end_date__gte=today)
    teams = (
        _ongoing_startups()
        .filter(pk__in=Membership.objects.filter(user=user).values("startup"))
        .annotate(others=Count("memberships", filter=current & ~Q(memberships__user=user)))
        .filter(others=0)
        .select_related("incubator")
        .order_by("name")
    )
    for startup in teams:
        warnings.append(
            _(
                "La startup « %(startup)s » n’aura plus aucun membre dans son équipe : "
                "prévenez l’incubateur « %(incubator)s » pour qu’il organise la relève."
            )
            % {"startup": startup.name, "incubator": startup.incubator.name}
        )
    territories = (
        Territory.objects.filter(referents=user)
        .annotate(referent_count=Count("referents"))
        .filter(referent_count=1)
        .order_by("name")
    )
    for territory in territories:
        warnings.append(
            _(
                "Le territoire « %(territory)s » n’aura plus de référent sur la plateforme : "
                "prévenez l’équipe de la plateforme de la personne qui vous remplace."
            )
            % {"territory": territory.name}
        )
    return warnings


def _end_sessions(user: User) -> None:
    """Log the person out everywhere.

    With database sessions (`db`, `cached_db`) their rows are deleted; with the
    cache-only backend they cannot be listed, but each is refused at its next request
    (an inactive user with a new password hash is logged out by Django).
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return
    sessions = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for session in sessions.iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            store_class(session.session_key).delete()


def _scrub_log_labels(user: User, names: set[str]) -> None:
    """Admin journals copy an object's name when it is logged: a user's own name or
    e-mail address there (or in entries about their team memberships) is replaced."""
    former = str(FORMER_MEMBER)
    user_type = ContentType.objects.get_for_model(User)
    membership_type = ContentType.objects.get_for_model(Membership)
    membership_ids = [
        str(pk) for pk in Membership.objects.filter(user=user).values_list("pk", flat=True)
    ]
    about_user = Q(content_type=user_type, object_id=str(user.pk))
    about_memberships = Q(content_type=membership_type, object_id__in=membership_ids)
    for entry in ModelLogEntry.objects.filter(
        about_user | about_memberships | Q(label__icontains=user.email)
    ):
        entry.label = (
            former if entry.content_type_id == user_type.pk else _replaced(entry.label, names)
        )
        entry.save(update_fields=["label"])
    for entry in PageLogEntry.objects.filter(label__icontains=user.email):
        entry.label = _replaced(entry.label, names)
        entry.save(update_fields=["label"])
    for entry in LogEntry.objects.filter(
        Q(content_type=user_type, object_id=str(user.pk)) | Q(object_repr__icontains=user.email)
    ):
        entry.object_repr = (
            former if entry.content_type_id == user_type.pk else _replaced(entry.object_repr, names)
        )
        entry.save(update_fields=["object_repr"])


def _replaced(text: str, names: set[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, str(FORMER_MEMBER))
    return text


@transaction.atomic
def account_delete(*, user: User, deleted_by: User | None = None) -> None:
    """Delete the person's account: erase what identifies them, keep what they wrote.

    Erased: e-mail addresses, names, password, ProConnect link, MFA devices, sessions,
    calendar link, Wagtail preferences, draft applications and their files. Their
    team memberships end today and their coaching and référent roles stop. Kept,
    attributed to "ancien membre": decisions, committees, milestones, failures,
    lessons, sent applications, reports and payments they recorded. The person deletes
    their own account, or an administrator does (`deleted_by`, from the admin sites).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_former_member:
        return
    refusals = account_deletion_refusals(user=user, deleted_by=deleted_by)
    if refusals:
        raise AccountDeletionRefused(refusals[0])
    today = timezone.localdate()
    names = {user.email, user.display_name, user.get_full_name()} - {""}
    _scrub_log_labels(user, names)

    # Access ends; the history of who was in the team stays, unnamed.
    Membership.objects.filter(Q(end_date__isnull=True) | Q(end_date__gt=today), user=user).update(
        end_date=Greatest(F("start_date"), Value(today))
    )
    user.coached_incubators.clear()
    user.cohorts.clear()
    user.territories.clear()
    user.groups.clear()
    user.user_permissions.clear()

    # A draft was never sent: it is the person's own work, deleted with its files.
    drafts = Application.objects.filter(applicant=user, status=ApplicationStatus.DRAFT)
    files = list(
        ApplicationDocument.objects.filter(application__in=drafts).values_list("file", flat=True)
    )
    drafts.delete()

    # Login methods and their secrets; the per-user data of the Wagtail admin.
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    APIToken.objects.filter(user=user).delete()
    profile = UserProfile.objects.filter(user=user).first()
    avatar = profile.avatar if profile is not None and profile.avatar else None
    UserProfile.objects.filter(user=user).delete()
    PageSubscription.objects.filter(user=user).delete()
    EditingSession.objects.filter(user=user).delete()
    FormState.objects.filter(user=user).delete()

    # `.invalid` is reserved (RFC 2606): this address can never reach anyone.
    user.email = f"ancien-membre-{user.pk}@anonyme.invalid"
    user.display_name = user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.receives_digests = False
    user.calendar_token = None
    user.last_login = None
    user.anonymised_at = timezone.now()
    user.save()
    _end_sessions(user)

    # Files go once the rows are gone for good: a rollback keeps both.
    private = storages["private"]
    transaction.on_commit(lambda: [private.delete(name) for name in files if name])
    if avatar is not None:
        transaction.on_commit(lambda: avatar.storage.delete(avatar.name))
