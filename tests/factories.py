"""factory_boy factories shared by the whole suite."""

import datetime
import time

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from accounts.enums import Role
from accounts.models import User
from incubator import services
from incubator.enums import FailureReason, FailureScope, TerritoryKind
from incubator.models import Incubator, Indicator, Startup, Territory
from programs.models import Cohort, Program

TEST_PASSWORD = "un-mot-de-passe-solide-42"


def current_totp_code(secret: str, *, margin: float = 5) -> str:
    """What the authenticator app shows now, never a code about to expire: allauth accepts
    only the current 30-second period, which a slow run could leave before the check."""
    if 30 - time.time() % 30 < margin:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified primary e-mail, able to log in with TEST_PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    display_name = factory.Faker("name", locale="fr_FR")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    class Params:
        coach = factory.Trait(role=Role.COACH)
        territory = factory.Trait(role=Role.TERRITORY)
        editor = factory.Trait(role=Role.EDITOR)
        staff = factory.Trait(role=Role.STAFF, is_staff=True)
        superuser = factory.Trait(role=Role.STAFF, is_staff=True, is_superuser=True)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=True)
        if create:
            obj.save()


# --- Lifecycle -----------------------------------------------------------------


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Commune de Saint-Exemple-{n}")
    slug = factory.Sequence(lambda n: f"commune-{n}")
    kind = TerritoryKind.COMMUNE


class IncubatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incubator

    name = factory.Sequence(lambda n: f"Incubateur n°{n}")
    slug = factory.Sequence(lambda n: f"incubateur-{n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    incubator = factory.SubFactory(IncubatorFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Promotion {n}")
    slug = factory.Sequence(lambda n: f"promotion-{n}")
    start_date = datetime.date(2025, 1, 6)


class StartupFactory(factory.django.DjangoModelFactory):
    """A startup created through the service, so its phase history starts right."""

    class Meta:
        model = Startup

    incubator = factory.SubFactory(IncubatorFactory)
    name = factory.Sequence(lambda n: f"Startup {n}")
    pitch = "Simplifier une démarche du quotidien."
    started_on = datetime.date(2024, 1, 15)

    @classmethod
    def _create(cls, model_class, *, started_on, **kwargs):
        return services.startup_create(actor=None, on=started_on, **kwargs)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    startup = factory.SubFactory(StartupFactory)
    name = "Usagers actifs par mois"
    unit = "usagers"


def document_stop(startup, *, author=None, on=None):
    """A complete post-mortem with one lesson: what abandoning requires."""
    return services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_USER_NEED,
        occurred_on=on or datetime.date(2024, 6, 1),
        author=author,
        what_we_learned="Les agents d’accueil avaient déjà un outil.",
        why_we_stop="Le besoin n’a pas été confirmé sur le terrain.",
        advice_for_relaunch="Commencer par observer les guichets.",
        lessons=[{"title": "Observer avant de construire", "body": "Deux semaines au guichet."}],
    )


# --- Calls for projects --------------------------------------------------------


def paris(*args) -> datetime.datetime:
    """An aware datetime on Paris time: `paris(2026, 3, 31, 12)`."""
    import zoneinfo

    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


class CallForProjectsFactory(factory.django.DjangoModelFactory):
    """A call open from 1 March to 31 March 2026, 12:00 (Paris)."""

    class Meta:
        model = "programs.CallForProjects"

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Appel à projets {n}")
    slug = factory.Sequence(lambda n: f"appel-{n}")
    opens_on = datetime.date(2026, 3, 1)
    closes_at = factory.LazyFunction(lambda: paris(2026, 3, 31, 12, 0))


class CallQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.CallQuestion"

    call = factory.SubFactory(CallForProjectsFactory)
    label = factory.Sequence(lambda n: f"Question {n}")
    kind = "text"
    required = True


class SelectionCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.SelectionCriterion"

    program = factory.SubFactory(ProgramFactory)
    label = factory.Sequence(lambda n: f"Critère {n}")
    weight = 1


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "incubator.Theme"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Thème {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")
