"""Item 7 of issue 16: bad input is a 400 with a clear message, never a 500, and nothing is
stored. Query-string numbers (core.params), JSON nesting (core.api's parser), the length of
every free text and the range of every date (core.fields), and the sign of a fund grant."""

import datetime
import importlib
import inspect
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from rest_framework import serializers

from core.fields import TEXT_MAX_LENGTH, DateRangeValidator
from core.params import BadParameter, query_int, query_year
from enrollment.models import HouseholdVisit
from subsidies.models import FundEntry
from subsidies.services import fund as fund_services

from ..conftest import api_for, client_for

APPS = ["core", "enrollment", "dropout", "subsidies", "teachers", "inspections"]
OUT_OF_RANGE_YEARS = ["0", "-5", "99999", "5270294308289453239816", "2.46e36"]


@pytest.fixture
def fund(world):
    return fund_services.open_fund(
        actor=world.bureau,
        county=world.county,
        name="测试县救助基金",
        founded_on=datetime.date(2022, 3, 1),
    )


# --- numbers in the query string -------------------------------------------------------------


@pytest.mark.parametrize("value", OUT_OF_RANGE_YEARS)
@pytest.mark.parametrize("path", ["/api/v1/fund-entries/", "/api/v1/exchanges/"])
def test_an_api_year_out_of_range_is_a_400_on_the_parameter(world, fund, path, value):
    answer = api_for(world.admin).get(path, {"year": value})
    assert answer.status_code == 400, answer.content
    assert "year" in answer.json()


@pytest.mark.parametrize("value", OUT_OF_RANGE_YEARS)
@pytest.mark.parametrize(
    "path", ["/subsidies/fund/", "/subsidies/totals/", "/subsidies/donations/"]
)
def test_a_page_year_out_of_range_is_a_400_that_says_why(world, fund, path, value):
    answer = client_for(world.admin).get(path, {"year": value})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "1900" in text and "2100" in text or "整数" in text or "whole number" in text


def test_a_page_year_in_range_is_still_answered(world, fund):
    for path in ["/subsidies/fund/", "/subsidies/totals/", "/subsidies/donations/"]:
        assert client_for(world.admin).get(path, {"year": "2024"}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/visits/?children=5270294308289453239816",
        "/api/v1/gaps/?run=2.46e36",
        "/api/v1/gaps/?run=5270294308289453239816",
        "/api/v1/payments/?batch=2.46e36",
        "/api/v1/teachers/?recruitment_year=5270294308289453239816",
        "/api/v1/children/?village=5270294308289453239816",
    ],
)
def test_a_huge_number_in_the_query_string_is_a_400(world, path):
    answer = api_for(world.admin).get(path)
    assert answer.status_code == 400, answer.content


def test_query_int_takes_plain_digits_within_the_bounds_only():
    assert query_int({"n": " 42 "}, "n", minimum=1, maximum=100) == 42
    assert query_int({"n": "-3"}, "n", minimum=-5, maximum=5) == -3
    assert query_int({}, "n", minimum=1, maximum=9, default=7) == 7
    assert query_year({"year": ""}) is None
    for raw in ["0", "101", "1_0", "٣", "1e3", "9" * 100_000, "4.0"]:
        with pytest.raises(BadParameter) as refused:
            query_int({"n": raw}, "n", minimum=1, maximum=100)
        assert refused.value.field == "n" and refused.value.message


# --- JSON nesting ----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 1_000, 33])
def test_a_deeply_nested_json_body_is_a_400(world, depth):
    body = "[" * depth + "]" * depth
    answer = api_for(world.admin).post("/api/v1/children/", body, content_type="application/json")
    assert answer.status_code == 400
    assert "nested" in answer.json()["detail"] or "嵌套" in answer.json()["detail"]


def test_json_nested_as_deep_as_a_real_body_is_parsed(world):
    """Batch lines are the deepest body the API takes (an object of a list of objects)."""
    body = {"rows": [{"child": 1, "amount": "100.00"}]}
    answer = api_for(world.admin).post("/api/v1/children/", body, format="json")
    assert answer.status_code == 400  # refused as a child registration, but parsed
    assert "household" in answer.json()


# --- every text has a maximum, every date a plausible range ----------------------------------


def _project_models():
    """The project's models; their history tables copy what the models validate."""
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in APPS and not model.__name__.startswith("Historical")
    ]


def test_every_model_text_field_has_a_maximum_that_full_clean_checks():
    unbounded = [
        f"{model.__name__}.{field.name}"
        for model in _project_models()
        for field in model._meta.get_fields()
        if type(field).__name__ in ("TextField", "LongTextField")
        and not (
            field.max_length
            and field.max_length <= TEXT_MAX_LENGTH
            and any(getattr(v, "limit_value", None) == field.max_length for v in field.validators)
        )
    ]
    assert unbounded == []


def test_every_model_date_field_has_a_plausible_range():
    unbounded = [
        f"{model.__name__}.{field.name}"
        for model in _project_models()
        for field in model._meta.get_fields()
        if type(field).__name__ == "DateField"
        and not any(isinstance(v, DateRangeValidator) for v in field.validators)
    ]
    assert unbounded == []


def _project_classes():
    seen = set()
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or ".management" in module.name:
                continue
            for obj in vars(importlib.import_module(module.name)).values():
                if (
                    inspect.isclass(obj)
                    and obj.__module__.split(".")[0] in APPS
                    and obj not in seen
                ):
                    seen.add(obj)
                    yield obj


def test_every_form_and_serializer_field_bounds_its_text_and_dates():
    """Declared fields; fields a ModelForm or ModelSerializer makes from a model field carry
    the model field's limits (tested above)."""
    found = []
    for cls in _project_classes():
        if issubclass(cls, forms.BaseForm):
            declared = getattr(cls, "declared_fields", cls.base_fields)
            fields = [(name, field, False) for name, field in declared.items()]
        elif issubclass(cls, serializers.Serializer):
            fields = [(n, f, f.read_only) for n, f in cls._declared_fields.items()]
        else:
            continue
        for name, field, read_only in fields:
            if read_only:
                continue
            text = isinstance(field, forms.CharField | serializers.CharField) and not isinstance(
                field, serializers.ChoiceField
            )
            if text and field.max_length is None:
                found.append(f"{cls.__module__}.{cls.__name__}.{name}: no max_length")
            if isinstance(field, forms.DateField | serializers.DateField) and not any(
                isinstance(v, DateRangeValidator) for v in field.validators
            ):
                found.append(f"{cls.__module__}.{cls.__name__}.{name}: no date range")
    assert found == []


def test_the_date_range_refuses_year_one_and_the_far_future_and_keeps_today():
    validator = DateRangeValidator(datetime.date(1990, 1, 1), years_ahead=10)
    validator(datetime.date.today())
    validator(datetime.date(1990, 1, 1))
    for day in [datetime.date(1, 1, 1), datetime.date(1989, 12, 31), datetime.date(9999, 1, 1)]:
        with pytest.raises(ValidationError):
            validator(day)


# --- the visit: a million characters, the year 1 ---------------------------------------------


def _visit_form(world, **changes):
    return {
        "visit_date": datetime.date.today().isoformat(),
        "children": [world.child1.pk],
        "visitors": "张三",
        "findings": "在家",
        "outcome": HouseholdVisit.Outcome.CONFIRMED_IN_SCHOOL,
        "follow_up": "",
        **changes,
    }


@pytest.mark.parametrize(
    "changes",
    [{"findings": "x" * 1_000_000}, {"follow_up": "x" * 1_000_000}, {"visit_date": "0001-01-01"}],
    ids=["million-character finding", "million-character follow-up", "year one"],
)
def test_the_visit_form_refuses_an_implausible_visit(world, changes):
    answer = client_for(world.township1_user).post(
        f"/children/{world.child1.pk}/visits/new/", _visit_form(world, **changes)
    )
    assert answer.status_code == 200  # the form again, with the error on its field
    field = next(iter(changes))
    assert answer.context["form"].errors[field]
    assert not HouseholdVisit.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [{"findings": "x" * 1_000_000}, {"follow_up": "x" * 1_000_000}, {"visit_date": "0001-01-01"}],
    ids=["million-character finding", "million-character follow-up", "year one"],
)
def test_the_visit_api_refuses_an_implausible_visit(world, changes):
    body = _visit_form(world, household=world.household1.pk, **changes)
    answer = api_for(world.township1_user).post("/api/v1/visits/", body, format="json")
    assert answer.status_code == 400, answer.content[:300]
    assert next(iter(changes)) in answer.json()
    assert not HouseholdVisit.objects.exists()


def test_the_visit_model_itself_refuses_an_implausible_visit(world):
    visit = HouseholdVisit(
        household=world.household1,
        visit_date=datetime.date(1, 1, 1),
        visitors="张三",
        findings="x" * (TEXT_MAX_LENGTH + 1),
        outcome=HouseholdVisit.Outcome.OTHER,
    )
    with pytest.raises(ValidationError) as refused:
        visit.full_clean(exclude=["recorded_by"])
    assert {"visit_date", "findings"} <= set(refused.value.message_dict)


def test_a_visit_of_plausible_length_and_date_is_recorded(world):
    body = _visit_form(world, household=world.household1.pk, findings="x" * TEXT_MAX_LENGTH)
    answer = api_for(world.township1_user).post("/api/v1/visits/", body, format="json")
    assert answer.status_code == 201, answer.content[:300]


# --- the fund: a grant is never a negative amount flipped into an outflow --------------------


@pytest.mark.parametrize("amount", ["-500.00", "0", "-0.01"])
def test_the_api_refuses_a_grant_that_is_not_above_zero(world, fund, amount):
    body = {
        "kind": "grant",
        "amount": amount,
        "date": "2025-05-01",
        "child": world.child1.pk,
        "hardship": "父亲因病去世",
    }
    answer = api_for(world.bureau).post("/api/v1/fund-entries/", body, format="json")
    assert answer.status_code == 400
    assert "amount" in answer.json()
    assert not FundEntry.objects.exists()


def test_the_api_records_a_positive_grant_as_an_outflow(world, fund):
    body = {
        "kind": "grant",
        "amount": "500.00",
        "date": "2025-05-01",
        "child": world.child1.pk,
        "hardship": "父亲因病去世",
    }
    answer = api_for(world.bureau).post("/api/v1/fund-entries/", body, format="json")
    assert answer.status_code == 201, answer.content
    assert FundEntry.objects.get().amount == Decimal("-500.00")


@pytest.mark.parametrize("amount", ["-500.00", "-0.01"])
def test_the_page_refuses_a_grant_or_an_inflow_below_zero(world, fund, amount):
    client = client_for(world.bureau)
    grant = client.post(
        "/subsidies/fund/new/grant/",
        {
            "resident_id": world.child1.resident_id,
            "amount": amount,
            "date": "2025-05-01",
            "hardship": "父亲因病去世",
        },
    )
    inflow = client.post(
        "/subsidies/fund/new/inflow/",
        {"kind": "donation", "amount": amount, "date": "2025-05-01", "counterparty": "某公司"},
    )
    for answer in (grant, inflow):
        assert answer.status_code == 200
        assert answer.context["form"].errors["amount"]
    assert not FundEntry.objects.exists()
