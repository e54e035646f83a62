import factory

from organizations.models import Membership, MembershipStatus, Organization, OrganizationKind
from tests.members.factories import CountryFactory


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("acronym",)

    acronym = factory.Sequence(lambda n: f"ORG{n}")
    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = OrganizationKind.REGIONAL
    supports_process = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    country = factory.SubFactory(CountryFactory)
    status = MembershipStatus.OBSERVER
