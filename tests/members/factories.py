import datetime as dt
import string

import factory

from members.models import Country, Participation, ParticipationKind, Role, User

# Generated codes come from ISO 3166's user-assigned ranges (QMA–QZZ, XAA–XZZ), so they never
# meet a real country or a code a test names: get_or_create would otherwise hand back FRA or AFG
# when the sequence reaches it, and a test creating "100 new countries" would get 99.
_UNASSIGNED_CODES = [
    code
    for code in (
        *(f"Q{b}{c}" for b in string.ascii_uppercase[12:] for c in string.ascii_uppercase),
        *(f"X{b}{c}" for b in string.ascii_uppercase for c in string.ascii_uppercase),
    )
    if code != "XYZ"
]


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: _UNASSIGNED_CODES[n % len(_UNASSIGNED_CODES)])
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
