"""The dropout-control section of the annual summary (core.annual, order 20): the seed's part 一
for the calendar year — children found out of school (cases reported), persuaded back to
school (cases returned) in total and by cause, persuasions recorded, notices to resume
schooling and penalty decisions issued, further measures, exemptions approved (filed with the
bureau) by kind, and the cases still open on the summary's day.

A township's summary counts the cases of the township (and their persuasions, documents and
measures) and the exemption requests of the children living in it. Every figure links to the
list of its rows: the case list and the exemption list (the year's dates and the township in
the query, so the list holds exactly the figure's rows), the ledgers page for persuasions and
measures (its counts for the year and the township), and the document register of the year
(which also shows the corrected, voided numbers that the figures leave out)."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core.annual import CALENDAR, ON_DAY, AnnualScope, Figure, Section

from .filters import open_on_q
from .ledgers import measures_for, persuasions_for
from .models import DropoutCase, ExemptionRequest, ExemptionStep, OfficialDocument

Cause = DropoutCase.Cause
Kind = ExemptionRequest.Kind
Doc = OfficialDocument.Kind

# The causes in the bureau's short words, for the sentences.
CAUSE_WORDS = {
    Cause.LEARNING: "学习困难",
    Cause.WORK: "外出务工",
    Cause.MARRIAGE: "早婚早育",
    Cause.RELIGION: "宗教原因",
    Cause.POVERTY: "家庭贫困",
    Cause.ILLNESS: "疾病",
    Cause.DISTANCE: "上学路远",
    Cause.FAMILY: "家庭原因",
    Cause.OTHER: "其他原因",
}
KIND_WORDS = {
    Kind.DEFERRED: "缓学",
    Kind.SUSPENDED: "休学",
    Kind.HOME_DELIVERED: "送教上门",
    Kind.SPECIAL_SCHOOL: "特校就读",
}


def _url(name: str, **query) -> str:
    query = {key: value for key, value in query.items() if value not in ("", None)}
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


def _place(scope: AnnualScope, township_path: str) -> dict:
    if scope.township is not None:
        return {township_path: scope.township.pk}
    return {f"{township_path}__county": scope.county.pk}


def case_figures(scope: AnnualScope) -> dict:
    """One query: cases reported in the year, returned in the year (in total and by cause),
    and open on the summary's day."""
    start, end = scope.calendar
    returned = Q(returned_on__range=(start, end))
    counts = (
        DropoutCase.objects.for_user(scope.user)
        .filter(**_place(scope, "township"))
        .order_by()
        .aggregate(
            reported=Count("pk", filter=Q(opened_on__range=(start, end))),
            returned=Count("pk", filter=returned),
            open=Count("pk", filter=open_on_q(scope.day)),
            **{
                f"returned_{cause}": Count("pk", filter=returned & Q(cause=cause))
                for cause in Cause
            },
        )
    )
    return {
        "reported": counts["reported"],
        "returned": counts["returned"],
        "open": counts["open"],
        "returned_by_cause": {cause: counts[f"returned_{cause}"] for cause in Cause},
    }


def procedure_figures(scope: AnnualScope) -> dict:
    """Three queries: persuasions recorded, documents in force issued (notices, penalty
    decisions) and further measures, dated in the year."""
    start, end = scope.calendar
    persuasions = (
        persuasions_for(scope.user)
        .filter(**_place(scope, "case__township"), date__range=(start, end))
        .count()
    )
    documents = (
        OfficialDocument.objects.for_user(scope.user)
        .filter(**_place(scope, "township"), issued_on__range=(start, end), voided_by__isnull=True)
        .order_by()
        .aggregate(
            notices=Count("pk", filter=Q(kind=Doc.RESUME_NOTICE)),
            penalties=Count("pk", filter=Q(kind=Doc.PENALTY_DECISION)),
        )
    )
    measures = (
        measures_for(scope.user)
        .filter(**_place(scope, "case__township"), date__range=(start, end))
        .count()
    )
    return {"persuasions": persuasions, "measures": measures, **documents}


def exemption_figures(scope: AnnualScope) -> dict:
    """One query: requests filed with the bureau (approved) in the year, by kind."""
    start, end = scope.calendar
    filed_in_year = ExemptionStep.objects.filter(
        action="file", at__date__gte=start, at__date__lte=end
    ).values("request_id")
    by_kind = dict(
        ExemptionRequest.objects.for_user(scope.user)
        .filter(**_place(scope, "child__village__township"), pk__in=filed_in_year)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    counts = {kind: by_kind.get(kind, 0) for kind in Kind}
    return {"by_kind": counts, "total": sum(counts.values())}


def sentences(cases: dict, procedure: dict, exemptions: dict, scope: AnnualScope) -> list[str]:
    """The seed's part 一 (（一）依法控辍, （二）行政控辍) with the year's figures."""
    causes = "、".join(
        f"因{CAUSE_WORDS[cause]}{count}名"
        for cause, count in cases["returned_by_cause"].items()
        if count
    )
    kinds = "、".join(
        f"{KIND_WORDS[kind]}{count}件" for kind, count in exemptions["by_kind"].items() if count
    )
    found = (
        f"{scope.year}年全年排查发现失辍学儿童{cases['reported']}名，"
        f"劝返复学{cases['returned']}名" + (f"（其中{causes}）" if causes else "") + "，"
        f"开展劝返{procedure['persuasions']}次。"
    )
    legal = (
        "对多次动员仍不返校的学生，乡镇依法向其法定监护人下达《限期复学通知书》"
        f"{procedure['notices']}份，给予批评教育并责令限期改正；逾期仍未复学的，"
        f"下达行政处罚决定书{procedure['penalties']}份，"
        f"采取相应制约措施{procedure['measures']}项。"
    )
    exempted = (
        "适龄儿童少年因疾病或者特殊情况不能入学的，经乡镇批准、报县教育局备案，"
        f"全年批准缓学、休学等申请{exemptions['total']}件"
        + (f"（{kinds}）" if kinds else "")
        + "。"
    )
    day = scope.day
    still_open = (
        f"截至{day.year}年{day.month}月{day.day}日，尚有{cases['open']}名失辍学儿童在劝返中。"
    )
    return [found, legal, exempted, still_open]


def annual_section(scope: AnnualScope) -> Section | None:
    """The section for `scope` (a handful of aggregate queries)."""
    cases = case_figures(scope)
    procedure = procedure_figures(scope)
    exemptions = exemption_figures(scope)
    start, end = scope.calendar
    year = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    township = scope.township.pk if scope.township is not None else None
    returned_range = {"returned_from": start.isoformat(), "returned_to": end.isoformat()}
    filed_range = {"filed_from": start.isoformat(), "filed_to": end.isoformat()}

    def case_list(**query) -> str:
        return _url("dropout:case_list", queue="all", township=township, **query)

    def register(kind) -> str:
        return _url("dropout:document_register", township=township, kind=kind, **year)

    figures = [
        Figure(
            "dropout.cases_reported",
            _("Children found out of school (cases reported)"),
            cases["reported"],
            "名",
            CALENDAR,
            case_list(**year),
        ),
        Figure(
            "dropout.returned",
            _("Persuaded back to school (cases returned)"),
            cases["returned"],
            "名",
            CALENDAR,
            case_list(**returned_range),
        ),
        *(
            Figure(
                f"dropout.returned.{cause}",
                _("Persuaded back to school, dropped out for: %(cause)s") % {"cause": label},
                cases["returned_by_cause"][cause],
                "名",
                CALENDAR,
                case_list(cause=cause, **returned_range),
            )
            for cause, label in Cause.choices
        ),
        Figure(
            "dropout.persuasions",
            _("Persuasion visits recorded"),
            procedure["persuasions"],
            "次",
            CALENDAR,
            _url("dropout:ledger_index", township=township, **year),
        ),
        Figure(
            "dropout.notices",
            _("Notices to resume schooling issued"),
            procedure["notices"],
            "份",
            CALENDAR,
            register(Doc.RESUME_NOTICE),
        ),
        Figure(
            "dropout.penalties",
            _("Administrative penalty decisions made"),
            procedure["penalties"],
            "份",
            CALENDAR,
            register(Doc.PENALTY_DECISION),
        ),
        Figure(
            "dropout.measures",
            _("Further measures taken"),
            procedure["measures"],
            "项",
            CALENDAR,
            _url("dropout:ledger_index", township=township, **year),
        ),
        Figure(
            "dropout.exemptions",
            _("Exemption requests approved (filed with the bureau)"),
            exemptions["total"],
            "件",
            CALENDAR,
            _url("dropout:exemption_list", queue="all", township=township, **filed_range),
        ),
        *(
            Figure(
                f"dropout.exemptions.{kind}",
                _("Exemption requests approved: %(kind)s") % {"kind": label},
                exemptions["by_kind"][kind],
                "件",
                CALENDAR,
                _url(
                    "dropout:exemption_list",
                    queue="all",
                    township=township,
                    kind=kind,
                    **filed_range,
                ),
            )
            for kind, label in Kind.choices
        ),
        Figure(
            "dropout.open_cases",
            _("Cases still open"),
            cases["open"],
            "名",
            ON_DAY,
            case_list(open_on=scope.day.isoformat()),
        ),
    ]
    return Section(
        key="dropout",
        title=_("Dropout control (控辍保学)"),
        figures=figures,
        sentences=sentences(cases, procedure, exemptions, scope),
    )
