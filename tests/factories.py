import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from core.resident_id import make_resident_id
from enrollment.models import (
    Child,
    County,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Household,
    School,
    Township,
    Village,
)

_id_sequence = itertools.count()


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = County

    code = factory.Sequence(lambda n: f"{510100 + n}")
    name = factory.Sequence(lambda n: f"测试县{n}")


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township

    county = factory.SubFactory(CountyFactory)
    code = factory.Sequence(lambda n: f"{510100000 + n:09d}")
    name = factory.Sequence(lambda n: f"测试镇{n}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    code = factory.Sequence(lambda n: f"{510100000000 + n:012d}")
    name = factory.Sequence(lambda n: f"测试村{n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    code = factory.Sequence(lambda n: f"2151{n:06d}")
    name = factory.Sequence(lambda n: f"测试小学{n}")
    township = factory.SubFactory(TownshipFactory)
    stage = School.Stage.PRIMARY


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    address = factory.Sequence(lambda n: f"一组{n}号")
    head_name = "张大山"


def school_age_birth_date(today: datetime.date | None = None, age: int = 9) -> datetime.date:
    today = today or datetime.date.today()
    return datetime.date(today.year - age - 1, 3, 15)


class ChildFactory(factory.django.DjangoModelFactory):
    """A school-age child with a valid resident ID; status starts as 'not yet verified'."""

    class Meta:
        model = Child
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    village = factory.SelfAttribute("household.village")
    name = factory.Sequence(lambda n: f"张小{n}")
    sex = "M"
    birth_date = factory.LazyFunction(school_age_birth_date)
    resident_id = factory.LazyAttribute(
        lambda child: make_resident_id(
            place_code="510304",
            birth_date=child.birth_date,
            sequence=next(_id_sequence) % 500,
            sex=child.sex,
        )
    )
    guardian_name = "张大山"
    guardian_relation = "父亲"
    guardian_phone = "13812345678"
    status = EnrollmentStatus.UNVERIFIED
    status_since = factory.LazyAttribute(lambda child: child.birth_date)

    @factory.post_generation
    def first_history_entry(child, create, extracted, **kwargs):
        if create:
            EnrollmentStatusChange.objects.create(
                child=child,
                status=child.status,
                effective_date=child.status_since,
                school=child.current_school,
                grade=child.grade,
                reason="登记",
            )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("Correct-Horse-9")
