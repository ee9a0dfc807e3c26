"""/audit/ and its export show what a person reads: the record's type and name and the fields'
labels, never the raw keys (`inspections.complaint #4`, `Area object (1)`, `fields: a, b`)."""

from django.urls import reverse

from core import audit
from core.audit_views import detail_label, export_audit, record_label
from core.models import AuditEvent
from core.people import person_name
from tests.conftest import client_for

A = AuditEvent.Action


def test_the_record_and_its_fields_are_named_as_people_read_them(world):
    event = audit.record(
        A.UPDATE,
        user=world.admin,
        object_type="enrollment.household",
        object_id=4,
        object_repr="Household object (4)",
        detail={"fields": ["head_name", "address"]},
    )
    assert record_label(event).endswith(" #4")
    assert "object (" not in record_label(event)
    assert "enrollment.household" not in record_label(event)
    detail = detail_label(event)
    assert "head_name" not in detail and "address" not in detail


def test_the_audit_page_and_export_show_labels_not_keys(world):
    audit.record(
        A.UPDATE,
        user=world.admin,
        object_type="enrollment.township",
        object_id=world.township1.pk,
        object_repr="Township object (1)",
        detail={"fields": ["name"]},
    )
    page = client_for(world.admin).get(reverse("core:audit_list")).content.decode()
    table = page[page.index('id="audit-table"') :]
    assert "enrollment.township" not in table and "object (1)" not in table
    assert "fields: name" not in table
    export = export_audit(world.admin, {"query": {"object_type": ["enrollment.township"]}})
    rows = list(export.rows)
    column = {column.header: index for index, column in enumerate(export.columns)}
    record, details = rows[0][column["对象"]], rows[0][column["详情"]]
    assert rows and "乡镇" in record and "object (" not in record
    assert "name" not in details and "名称" in details
    assert rows[0][column["姓名"]] == person_name(world.admin)
