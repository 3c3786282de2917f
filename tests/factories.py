import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A dashboard user; `role="Supervisor"` puts them in that role's group."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ProviderAccountFactory(factory.django.DjangoModelFactory):
    """A vendor account; `secrets={...}` are encrypted as the app stores them.

    By default an OCA account pointed at a closed local port, so that nothing reaches a
    real vendor; pass kind, base_url and config for anything else."""

    class Meta:
        model = "telephony.ProviderAccount"
        skip_postgeneration_save = True

    kind = "oca"
    name = factory.Sequence(lambda n: f"Vendor account {n}")
    base_url = "http://127.0.0.1:9/api/v1"
    config = factory.LazyFunction(lambda: {"username": "demo"})
    is_active = True

    @factory.post_generation
    def secrets(self, create, extracted, **kwargs):
        values = {"password": "factory-password-1"} if extracted is None else extracted
        self.set_secrets(values)
        if create:
            self.save(update_fields=["secrets_encrypted"])


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft IVR campaign on an OCA account (no lists); pass account=… and lists."""

    class Meta:
        model = "campaigns.Campaign"

    name = factory.Sequence(lambda n: f"Campaign {n}")
    account = factory.SubFactory(ProviderAccountFactory)
    kind = "ivr"
    ivr_id = "5f1c03d61fae4001267a0003"
    caller_id = "02180000001"
