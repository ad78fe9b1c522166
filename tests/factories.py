"""factory_boy factories shared by the whole suite."""

import factory
from allauth.account.models import EmailAddress

from accounts.enums import Role
from accounts.models import User

TEST_PASSWORD = "un-mot-de-passe-solide-42"


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
