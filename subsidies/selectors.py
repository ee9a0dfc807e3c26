"""Reads that are more than a filter: totals, the report lines, the fund's yearly summary."""

import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractYear

from core.cache import cached
from enrollment.scoping import scope_signature

from .models import Batch, FundEntry, Payment, ReliefFund, Stage, period_label

TOTAL_DIMENSIONS = {
    "programme": ("programme_id", "programme__name"),
    "stage": ("stage", None),
    "school": ("school_id", "school__name"),
    "township": ("township_id", "township__name"),
    "period": ("period", None),
}


def payments_for(user) -> QuerySet:
    return Payment.objects.for_user(user)


def payment_list(user) -> QuerySet:
    # Newest first by key: a backward scan of the primary key stops after one page.
    return (
        payments_for(user)
        .select_related("child", "programme", "school", "township", "batch")
        .order_by("-pk")
    )


# Cache namespace of the payment list's paid totals; a batch marked paid makes them stale
# (paid lines are never edited or removed afterwards).
PAID_SUMMARY_CACHE = "payment-paid-summary"


def paid_summary(payments: QuerySet) -> dict:
    """Lines and money paid among `payments`, in one query."""
    return payments.filter(batch__status=Batch.Status.PAID).aggregate(
        total=Sum("amount"), count=Count("pk")
    )


def cached_paid_summary(payment_filter, user) -> dict:
    """The payment list's paid totals, cached per filter and scope: unfiltered they sum every
    payment of the county, which must not happen on every page view. Paid lines are never
    edited or removed, so only a batch marked paid makes them stale (and bumps the version);
    a child renamed or moved to another village shows in a name or village-scoped total
    within the cache's timeout."""
    payment_filter.is_valid()  # the filtering uses the valid fields only; so does the key
    filters = {
        name: getattr(value, "pk", value)
        for name, value in getattr(payment_filter.form, "cleaned_data", {}).items()
        if value not in (None, "")
    }
    return cached(
        PAID_SUMMARY_CACHE,
        [scope_signature(user), sorted(filters.items())],
        lambda: paid_summary(payment_filter.qs),
    )


def _per_batch(aggregate):
    lines = Payment.objects.filter(batch=OuterRef("pk")).order_by().values("batch")
    return Subquery(lines.annotate(value=aggregate).values("value")[:1])


def batch_list(user) -> QuerySet:
    """Lines and total per batch as subqueries in the select list: computed for the rows of the
    page only, not for every payment of the county."""
    return (
        Batch.objects.for_user(user)
        .select_related("programme", "school__township")
        .annotate(
            line_count=Coalesce(_per_batch(Count("pk")), 0),
            # 0.00 for a batch without lines: the API's `total` is a decimal string, never null.
            total=Coalesce(
                _per_batch(Sum("amount")),
                Value(Decimal("0.00")),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .order_by("-period", "-pk")
    )


def totals(payments: QuerySet, group_by: str) -> list[dict]:
    """Paid money per group (programme, stage, school, township or period), in one query."""
    key, label = TOTAL_DIMENSIONS[group_by]
    fields = [key] + ([label] if label else [])
    rows = (
        payments.filter(batch__status=Batch.Status.PAID)
        .order_by()
        .values(*fields)
        .annotate(amount=Sum("amount"), lines=Count("pk"), children=Count("child", distinct=True))
        .order_by(key)
    )
    stage_labels = dict(Stage.choices)
    result = []
    for row in rows:
        if group_by == "stage":
            name = str(stage_labels.get(row["stage"], row["stage"] or "—"))
        elif group_by == "period":
            name = period_label(row["period"])
        else:
            name = row[label] or "—"
        result.append({"key": row[key], "name": name, **row})
    return result


def yuan_to_wan(amount) -> str:
    """万元 with two decimals, as the bureau's reports write them."""
    return f"{(Decimal(amount or 0) / Decimal(10000)).quantize(Decimal('0.01'))}"


def paid_in_year(payments: QuerySet, year: int) -> QuerySet:
    """The paid lines that count in calendar year `year`: a payment or a supplement in the year
    it was paid; a reversal in the year of the payment it reverses, whenever it was entered — it
    corrects that year's figure, and a later year never shows a negative programme amount."""
    reversal = Q(kind=Payment.Kind.REVERSAL)
    return payments.filter(batch__status=Batch.Status.PAID).filter(
        (~reversal & Q(paid_on__year=year)) | (reversal & Q(corrects__paid_on__year=year))
    )


def beneficiary_q() -> Q:
    """A line naming a child who kept the money: not a reversal, not a reversed payment (with
    paid_in_year: the children a year's money reached, Count("child", distinct=True, filter=…))."""
    reversed_payment = Exists(
        Payment.objects.filter(
            corrects=OuterRef("pk"),
            kind=Payment.Kind.REVERSAL,
            batch__status=Batch.Status.PAID,
        )
    )
    return ~Q(kind=Payment.Kind.REVERSAL) & ~Q(reversed_payment)


def report_line(payments: QuerySet, year: int, *, allocations: QuerySet | None = None) -> dict:
    """The report's sentence: 2024年教育扶贫专项计划资助金共XX万元。其中…, from the money paid in
    calendar year `year` (reversals netted into the year of the payment they reverse), by the
    programmes' report items in their order; with `allocations` (PublicFundAllocation rows) the
    schools' public funds allocated in the year close it: 落实义务教育生均公用经费XX万元."""
    paid = paid_in_year(payments, year)
    rows = list(
        paid.order_by()
        .values("programme__report_label")
        .annotate(amount=Sum("amount"), order=Min("programme__report_order"))
        .order_by("order", "programme__report_label")
    )
    total = sum((row["amount"] for row in rows), Decimal("0"))
    parts = "；".join(
        f"{row['programme__report_label']}{yuan_to_wan(row['amount'])}万元" for row in rows
    )
    public_funds = None
    if allocations is not None:
        public_funds = allocations.filter(allocated_on__year=year).aggregate(amount=Sum("amount"))[
            "amount"
        ] or Decimal("0.00")
        total += public_funds
        if public_funds:
            item = f"落实义务教育生均公用经费{yuan_to_wan(public_funds)}万元"
            parts += ("，" if parts else "") + item
    text = f"{year}年教育扶贫专项计划资助金共{yuan_to_wan(total)}万元。"
    if parts:
        text += "其中" + parts + "。"
    return {
        "year": year,
        "total": total,
        "items": rows,
        "public_funds": public_funds,
        "text": text,
    }


def fund_summary(fund: ReliefFund, *, until: int | None = None) -> dict:
    """Per calendar year: inflows, disbursed, students helped and the size at the year's end;
    and the cumulative figures since the fund was founded (approved entries only) — up to the
    end of year `until` when given (a past year's summary does not count later grants)."""
    approved = fund.entries.filter(status=FundEntry.Status.APPROVED)
    if until is not None:
        approved = approved.filter(date__year__lte=until)
    grants = Q(kind=FundEntry.Kind.GRANT)
    rows = list(
        approved.annotate(year=ExtractYear("date"))
        .order_by()
        .values("year")
        .annotate(
            inflow=Sum("amount", filter=~grants),
            disbursed=Sum(-F("amount"), filter=grants),
            students=Count("child", filter=grants, distinct=True),
        )
        .order_by("year")
    )
    size = Decimal("0")
    for row in rows:
        row["inflow"] = row["inflow"] or Decimal("0")
        row["disbursed"] = row["disbursed"] or Decimal("0")
        size += row["inflow"] - row["disbursed"]
        row["size"] = size
        row["text"] = (
            f"{row['year']}年，基金规模{yuan_to_wan(size)}万元，发放{yuan_to_wan(row['disbursed'])}"
            f"万元，惠及{row['students']}名特困学生。"
        )
    cumulative = approved.filter(grants).aggregate(
        disbursed=Sum(-F("amount")), students=Count("child", distinct=True)
    )
    years = len({row["year"] for row in rows}) or 0
    founded = fund.founded_on
    last_year = until if until is not None else datetime.date.today().year
    span = max(1, last_year - founded.year + 1) if founded else years
    disbursed = cumulative["disbursed"] or Decimal("0")
    return {
        "years": rows,
        "disbursed": disbursed,
        "students": cumulative["students"],
        "span": span,
        "text": f"{span}年来，教育救助基金共救助{cumulative['students']}名特困学生"
        f"{yuan_to_wan(disbursed)}万元。",
    }
