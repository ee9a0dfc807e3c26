"""帮扶单位 and 帮扶活动: services (every rule both ways), pages (scope 404, role 403, bad
input), the Excel ledger read back with openpyxl, query counts; the visit's teachers."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from openpyxl import load_workbook

from core.errors import DomainError
from core.models import ExportJob
from core.people import person_name
from enrollment.help_models import HelpActivity, PartnerUnit
from enrollment.help_services import record_help_activity, save_partner_unit
from enrollment.models import HelpPairing, HouseholdVisit
from enrollment.services import assign_help_partner, record_visit
from tests.conftest import api_for, client_for, visit_form
from tests.factories import CountyFactory

TODAY = timezone.localdate()


@pytest.fixture
def units(world):
    w = world
    w.unit = save_partner_unit(
        actor=w.admin,
        county=w.county,
        name="县财政局",
        kind="government",
        contact_person="赵主任",
        phone="13900001111",
    )
    w.company = save_partner_unit(
        actor=w.bureau, county=w.county, name="某某公司", kind="enterprise"
    )
    w.a1 = record_help_activity(
        actor=w.township1_user,
        date=TODAY,
        kind="money",
        content="送去助学金",
        responsible_name="钱老师",
        child=w.child1,
        unit=w.unit,
        amount=Decimal("500.00"),
    )
    w.a2 = record_help_activity(
        actor=w.township2_user,
        date=TODAY,
        kind="tutoring",
        content="周末辅导",
        responsible_name="孙老师",
        household=w.household2,
    )
    return w


# --- partner units ---------------------------------------------------------------------------


def test_bureau_keeps_the_catalogue_and_others_cannot(units):
    w = units
    assert PartnerUnit.objects.filter(county=w.county).count() == 2
    for who in (w.township1_user, w.auditor, w.school1_user):
        with pytest.raises(PermissionDenied):
            save_partner_unit(actor=who, county=w.county, name="新单位", kind="other")
    assert PartnerUnit.objects.count() == 2


def test_unit_name_is_unique_in_the_county_and_required(units):
    w = units
    with pytest.raises(DomainError):
        save_partner_unit(actor=w.admin, county=w.county, name="县财政局", kind="other")
    with pytest.raises(DomainError):
        save_partner_unit(actor=w.admin, county=w.county, name="  ", kind="other")
    with pytest.raises(DomainError):
        save_partner_unit(actor=w.admin, county=w.county, name="新单位", kind="bogus")
    assert PartnerUnit.objects.count() == 2


def test_everyone_in_the_county_reads_the_catalogue_with_masked_phones(units):
    page = client_for(units.village1_user).get(reverse("enrollment:partner_unit_list"))
    assert page.status_code == 200
    assert "县财政局" in page.content.decode()
    assert "13900001111" not in page.content.decode()
    assert "139****1111" in page.content.decode()
    outsider = CountyFactory(code="520200")
    other = PartnerUnit.objects.create(county=outsider, name="外县单位", kind="other")
    assert other not in PartnerUnit.objects.for_user(units.admin)


def test_partner_unit_form_adds_and_edits(units):
    client = client_for(units.bureau)
    answer = client.post(
        reverse("enrollment:partner_unit_new"),
        {"name": "县团委", "kind": "social", "contact_person": "", "phone": "", "is_active": "on"},
    )
    assert answer.status_code == 302
    assert PartnerUnit.objects.get(name="县团委").county == units.county
    answer = client.post(
        reverse("enrollment:partner_unit_edit", args=[units.company.pk]),
        {"name": "某某公司", "kind": "enterprise", "contact_person": "", "phone": ""},
    )
    assert answer.status_code == 302
    units.company.refresh_from_db()
    assert units.company.is_active is False


def test_partner_unit_form_bad_input_changes_nothing(units):
    answer = client_for(units.admin).post(
        reverse("enrollment:partner_unit_new"), {"name": "县财政局", "kind": "government"}
    )
    assert answer.status_code == 200
    assert answer.context["form"].errors
    assert PartnerUnit.objects.count() == 2


@pytest.mark.parametrize("who", ["township1_user", "auditor"])
def test_others_cannot_open_the_unit_forms(units, who):
    client = client_for(getattr(units, who))
    assert client.get(reverse("enrollment:partner_unit_new")).status_code == 403
    edit = reverse("enrollment:partner_unit_edit", args=[units.unit.pk])
    assert client.post(edit, {"name": "改名", "kind": "other"}).status_code == 403
    units.unit.refresh_from_db()
    assert units.unit.name == "县财政局"


# --- help activities -------------------------------------------------------------------------


def test_activity_needs_a_child_or_household_and_the_database_agrees(units):
    w = units
    with pytest.raises(DomainError):
        record_help_activity(
            actor=w.admin, date=TODAY, kind="visit", content="x", responsible_name="甲"
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        HelpActivity.objects.create(
            date=TODAY,
            kind="visit",
            content="x",
            responsible_name="甲",
            village=w.village1,
            recorded_by=w.admin,
        )
    assert HelpActivity.objects.count() == 2


def test_activity_rules(units):
    w = units
    bad = [
        {"child": w.child1, "household": w.household2},  # not the child's household
        {"child": w.child1, "amount": Decimal("-1")},
        {"child": w.child1, "date": TODAY + datetime.timedelta(days=1)},
        {"child": w.child1, "kind": "bogus"},
        {"child": w.child1, "content": " "},
    ]
    for overrides in bad:
        values = {
            "date": TODAY,
            "kind": "visit",
            "content": "看望",
            "responsible_name": "甲",
            **overrides,
        }
        with pytest.raises(DomainError):
            record_help_activity(actor=w.admin, **values)
    outsider_unit = PartnerUnit.objects.create(
        county=CountyFactory(code="520300"), name="外县", kind="other"
    )
    with pytest.raises(DomainError):
        record_help_activity(
            actor=w.admin,
            date=TODAY,
            kind="visit",
            content="看望",
            responsible_name="甲",
            child=w.child1,
            unit=outsider_unit,
        )
    assert HelpActivity.objects.count() == 2


def test_activity_roles_are_the_pairing_roles(units):
    w = units
    values = {"date": TODAY, "kind": "visit", "content": "看望", "responsible_name": "甲"}
    for who in (w.auditor, w.village1_user, w.inspector, w.township2_user):
        with pytest.raises(PermissionDenied):
            record_help_activity(actor=who, child=w.child1, **values)
    record_help_activity(actor=w.school1_user, child=w.child1, **values)
    assert HelpActivity.objects.count() == 3


def test_activity_form_records_and_bad_input_changes_nothing(units):
    client = client_for(units.township1_user)
    url = reverse("enrollment:child_help_activity", args=[units.child1.pk])
    bad = client.post(url, {"date": TODAY.isoformat(), "kind": "money", "amount": "-5"})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert HelpActivity.objects.count() == 2
    good = client.post(
        url,
        {
            "date": TODAY.isoformat(),
            "kind": "material",
            "unit": units.unit.pk,
            "responsible_name": "钱老师",
            "content": "送去冬衣",
            "amount": "300",
        },
    )
    assert good.status_code == 302
    activity = HelpActivity.objects.get(content="送去冬衣")
    assert (activity.child, activity.household, activity.village) == (
        units.child1,
        units.household1,
        units.village1,
    )
    assert activity.history.count() == 1


def test_household_activity_form_scope_and_role(units):
    url = reverse("enrollment:household_help_activity", args=[units.household2.pk])
    assert client_for(units.township1_user).get(url).status_code == 404
    assert client_for(units.auditor).post(url, {}).status_code == 403
    assert client_for(units.township2_user).get(url).status_code == 200


def test_list_is_scoped_and_filtered(units):
    w = units
    url = reverse("enrollment:help_activity_list")
    page = client_for(w.township1_user).get(url)
    assert list(page.context["page"]) == [w.a1]
    county = client_for(w.auditor).get(url, {"township": w.township2.pk, "kind": "tutoring"})
    assert list(county.context["page"]) == [w.a2]
    # Another township's filter is a page that does not exist for a township official.
    assert client_for(w.township1_user).get(url, {"township": w.township2.pk}).status_code == 404
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    empty = client_for(w.auditor).get(url, {"date_to": yesterday})
    assert list(empty.context["page"]) == []


def test_list_query_count(units, django_assert_max_num_queries):
    client = client_for(units.auditor)
    client.get(reverse("enrollment:help_activity_list"))  # warm the session
    with django_assert_max_num_queries(12):
        page = client.get(reverse("enrollment:help_activity_list"))
    assert len(page.context["page"]) == 2


def _export(client, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("enrollment:help_activity_export"), data or {})


def _sheet(client, job):
    response = client.get(reverse("core:export_download", args=[job.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_export_cells_read_back(units, media):
    client = client_for(units.township1_user)
    assert _export(client, {"kind": "money"}).status_code == 302
    job = ExportJob.objects.get()
    assert (job.status, job.rows_written, job.exporter) == (
        "done",
        1,
        "enrollment_help_activities",
    )
    rows = list(_sheet(client, job).iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "日期", "乡镇", "村（社区）")
    child = units.child1
    with override("zh-hans"):
        money = str(HelpActivity.Kind.MONEY.label)
    assert list(rows[1]) == [
        1,
        datetime.datetime.combine(TODAY, datetime.time()),
        "一镇",
        "一村",
        "王小一",
        child.resident_id,  # a township official over the child sees the full ID
        "王一",
        "县财政局",
        "钱老师",
        money,
        "送去助学金",
        500,
        person_name(units.township1_user),
    ]
    assert len(rows) == 2


def test_export_of_another_township_is_404(units, media):
    answer = _export(client_for(units.township1_user), {"township": units.township2.pk})
    assert answer.status_code == 404
    assert ExportJob.objects.count() == 0


def test_export_query_count(units, media, django_assert_max_num_queries):
    from enrollment.ledger_exports import export_help_activities

    export = export_help_activities(units.auditor, {"query": {}})
    with django_assert_max_num_queries(3):
        rows = list(export.rows)
    assert len(rows) == 2


# --- pairings with a unit, visits with teachers ----------------------------------------------


def test_pairing_names_a_unit_of_the_county(units):
    w = units
    pairing = assign_help_partner(
        actor=w.admin,
        child=w.child1,
        partner_name="钱老师",
        partner_kind="teacher",
        plan="每周家访",
        start_date=TODAY,
        unit=w.unit,
    )
    assert pairing.unit == w.unit
    outsider = PartnerUnit.objects.create(
        county=CountyFactory(code="520400"), name="外", kind="other"
    )
    with pytest.raises(DomainError):
        assign_help_partner(
            actor=w.admin,
            child=w.child2,
            partner_name="甲",
            partner_kind="cadre",
            plan="x",
            start_date=TODAY,
            unit=outsider,
        )
    assert HelpPairing.objects.count() == 1


def test_visit_records_teachers_and_refuses_too_many(world):
    visit = record_visit(
        actor=world.township1_user,
        household=world.household1,
        children=[world.child1],
        visit_date=TODAY,
        visitors="甲、乙、丙",
        findings="在校",
        outcome="confirmed_in_school",
        teacher_visitors=2,
    )
    assert visit.teacher_visitors == 2
    with pytest.raises(DomainError):
        record_visit(
            actor=world.township1_user,
            household=world.household1,
            children=[world.child1],
            visit_date=TODAY,
            visitors="甲",
            findings="在校",
            outcome="confirmed_in_school",
            teacher_visitors=51,
        )
    assert HouseholdVisit.objects.count() == 1


def test_visit_form_takes_teachers_and_refuses_bad_counts(world):
    client = client_for(world.township1_user)
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    bad = client.post(url, visit_form(world, teacher_visitors="-1", new_status=""))
    assert bad.status_code == 200 and bad.context["form"].errors["teacher_visitors"]
    assert HouseholdVisit.objects.count() == 0
    good = client.post(url, visit_form(world, teacher_visitors="3", new_status=""))
    assert good.status_code == 302
    assert HouseholdVisit.objects.get().teacher_visitors == 3


def test_visit_api_field_is_optional(world):
    api = api_for(world.township1_user)
    base = {
        "visit_date": TODAY.isoformat(),
        "household": world.household1.pk,
        "children": [world.child1.pk],
        "visitors": "甲",
        "findings": "在校",
        "outcome": "confirmed_in_school",
    }
    assert api.post("/api/v1/visits/", base, format="json").status_code == 201
    with_teachers = api.post("/api/v1/visits/", {**base, "teacher_visitors": 4}, format="json")
    assert with_teachers.status_code == 201 and with_teachers.json()["teacher_visitors"] == 4
    too_many = api.post("/api/v1/visits/", {**base, "teacher_visitors": 99}, format="json")
    assert too_many.status_code == 400
    assert sorted(HouseholdVisit.objects.values_list("teacher_visitors", flat=True)) == [0, 4]


def test_visit_export_has_the_teachers_column(world, media):
    record_visit(
        actor=world.township1_user,
        household=world.household1,
        children=[world.child1],
        visit_date=TODAY,
        visitors="甲、乙",
        findings="在校",
        outcome="confirmed_in_school",
        teacher_visitors=1,
    )
    from enrollment.ledger_exports import export_visits

    export = export_visits(world.admin, {"query": {}})
    headers = [column.header for column in export.columns]
    rows = list(export.rows)
    assert rows[0][headers.index("其中教师（人）")] == 1


def test_partner_unit_list_query_count(units, django_assert_max_num_queries):
    for index in range(5):
        save_partner_unit(actor=units.admin, county=units.county, name=f"单位{index}", kind="other")
    client = client_for(units.township1_user)
    client.get(reverse("enrollment:partner_unit_list"))  # warm the session
    with django_assert_max_num_queries(10):
        page = client.get(reverse("enrollment:partner_unit_list"))
    assert len(page.context["page"]) == 7


def test_pairing_export_names_the_catalogue_unit(units):
    from enrollment.ledger_exports import PAIRING_COLUMNS, export_pairings

    assign_help_partner(
        actor=units.admin,
        child=units.child1,
        partner_name="钱老师",
        partner_kind="teacher",
        plan="每周家访",
        start_date=TODAY,
        partner_unit="手填单位",
        unit=units.unit,
    )
    assign_help_partner(
        actor=units.admin,
        child=units.child2,
        partner_name="孙老师",
        partner_kind="teacher",
        plan="每周家访",
        start_date=TODAY,
        partner_unit="手填单位",
    )
    column = [header for header, _width in PAIRING_COLUMNS].index("单位")
    rows = list(export_pairings(units.admin, {"query": {}}).rows)
    assert sorted(row[column] for row in rows) == ["县财政局", "手填单位"]
