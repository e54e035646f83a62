import datetime as dt

import factory

from members.models import Country, Participation, ParticipationKind, Role, User


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: "".join(chr(65 + (n // 26**i) % 26) for i in (2, 1, 0)))
    name = factory.Sequence(lambda n: f"Country {n}")


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    country = factory.SubFactory(CountryFactory)
    kind = ParticipationKind.PARTICIPATING
    since = dt.date(2011, 11, 2)
    source = "hoa-ip-about.txt"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.ANALYST
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SecretariatFactory(UserFactory):
    role = Role.SECRETARIAT


class FocalPointFactory(UserFactory):
    role = Role.FOCAL_POINT
    country = factory.SubFactory(CountryFactory)
