"""The subsidy payment list (发放名单) as an importer of the shared pipeline (core.imports).

The file goes into one batch being prepared (the scope). Each row names the child by resident
ID (and name, which must match), the programme and the period (which must be the batch's), the
amount, optionally the payment date and a reason. The dry run asks `batches.add_payments` itself
inside a savepoint that is rolled back, so it reports exactly what the commit would refuse; the
commit calls it again in the pipeline's transaction — the rules of a line added by hand.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.imports import (
    IdStoredAsNumber,
    ImportColumn,
    Importer,
    Outcome,
    Plan,
    RowOutcome,
    SheetRow,
    clean_id,
    clean_text,
    parse_date,
    register_importer,
)
from enrollment.models import Child
from enrollment.permissions import get_scoped_or_404

from .models import Batch, period_label
from .roles import BATCH_ROLES
from .services.batches import add_payments
from .transitions import BATCH_TRANSITIONS

ERROR_COLUMN = {"child": "公民身份号码", "amount": "金额", "reason": "说明", "method": "金额"}


class PaymentListImporter(Importer):
    name = "subsidy_payments"
    roles = BATCH_ROLES
    title = gettext_lazy("Subsidy payment list")
    sheet_title = "发放名单"
    columns = [
        ImportColumn("name", "姓名", example="张三"),
        ImportColumn(
            "resident_id",
            "公民身份号码",
            aliases=("身份证号",),
            example="510304201503041234",
            width=21,
        ),
        ImportColumn("programme", "资助项目", example="家庭经济困难寄宿生生活补助", width=26),
        ImportColumn("period", "学年/学期", aliases=("学期", "学年"), example="2025-1", width=22),
        ImportColumn("amount", "金额", text=False, example=500),
        ImportColumn("paid_on", "发放日期", required=False, text=False, example="2025-11-15"),
        ImportColumn("reason", "说明", required=False, example=""),
    ]

    def _batches(self, user):
        prepared = BATCH_TRANSITIONS.sources("prepare")
        return Batch.objects.for_user(user, roles=BATCH_ROLES).filter(status__in=prepared)

    def scope_choices(self, user):
        return [
            (
                f"batch:{batch.pk}",
                f"#{batch.pk} {batch.programme.name} {batch.period_label}"
                f" {batch.school.name if batch.school else ''}",
            )
            for batch in self._batches(user).select_related("programme", "school").order_by("-pk")
        ]

    def resolve_scope(self, user, key):
        kind, _sep, pk = (key or "").partition(":")
        if kind != "batch" or not pk.isdigit():
            raise Http404
        batch = get_scoped_or_404(
            Batch.objects.select_related("programme", "school__township"), user, pk=int(pk)
        )
        # A list only while it is being prepared (as the batch page's own "add lines").
        if not BATCH_TRANSITIONS.can(batch, "prepare", user):
            raise PermissionDenied
        return batch

    def scope_label(self, scope):
        return str(scope)

    def plan(self, rows: list[SheetRow], *, scope, user, progress=None) -> Plan:
        batch = scope
        programme_names = {batch.programme.name, batch.programme.code}
        period_names = {batch.period, period_label(batch.period)}
        outcomes, parsed = [], []
        ids = {}
        for row in rows:
            outcome = RowOutcome(row, kind=Outcome.NEW)
            values = row.values
            try:
                ids[row.number] = clean_id(values.get("resident_id"))
            except (IdStoredAsNumber, ValueError) as error:
                outcome.error("公民身份号码", values.get("resident_id"), str(error))
            outcomes.append(outcome)
        children = {
            child.resident_id: child
            for child in Child.objects.for_user(user).filter(resident_id__in=set(ids.values()))
        }
        for outcome in outcomes:
            row, values = outcome.row, outcome.row.values
            outcome.label = clean_text(values.get("name"))
            child = children.get(ids.get(row.number))
            if row.number in ids and child is None:
                outcome.error(
                    "公民身份号码", values.get("resident_id"), _("No such child in your scope.")
                )
            elif child is not None and child.name != outcome.label:
                outcome.error(
                    "姓名",
                    values.get("name"),
                    _("The name does not match the resident ID (%(name)s).") % {"name": child.name},
                )
            if clean_text(values.get("programme")) not in programme_names:
                outcome.error(
                    "资助项目",
                    values.get("programme"),
                    _("This list is for %(programme)s.") % {"programme": batch.programme.name},
                )
            if clean_text(values.get("period")) not in period_names:
                outcome.error(
                    "学年/学期",
                    values.get("period"),
                    _("This list is for %(period)s.") % {"period": batch.period},
                )
            try:
                amount = Decimal(str(values.get("amount")).strip()).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                amount = None
                outcome.error("金额", values.get("amount"), _("Not an amount."))
            try:
                paid_on = parse_date(values.get("paid_on"))
            except ValueError as error:
                paid_on = None
                outcome.error("发放日期", values.get("paid_on"), str(error))
            if not outcome.failed:
                parsed.append(
                    {
                        "row": row.number,
                        "child": child.pk,
                        "amount": amount,
                        "paid_on": paid_on,
                        "reason": clean_text(values.get("reason")),
                    }
                )
        # The service's own verdict on the rows that parsed, written and rolled back.
        if parsed:
            by_number = {outcome.row.number: outcome for outcome in outcomes}
            try:
                with transaction.atomic():
                    result = add_payments(actor=user, batch=batch, rows=parsed)
                    transaction.set_rollback(True)
            except DomainError as error:
                first = by_number[parsed[0]["row"]]
                first.error("公民身份号码", "", error.message)
            else:
                for error in result.errors:
                    by_number[error["row"]].error(
                        ERROR_COLUMN.get(error["column"], "公民身份号码"),
                        error["value"],
                        error["message"],
                    )
        return Plan(outcomes=outcomes, payload=parsed)

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        result = add_payments(actor=user, batch=scope, rows=plan.payload)
        if result.errors:
            first = result.errors[0]
            raise DomainError(_("Row %(row)s: %(message)s") % first)


def register_payment_importer():
    register_importer(PaymentListImporter())
