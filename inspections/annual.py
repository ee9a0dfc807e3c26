"""The inspections' section of the annual summary (the report's part 二（三）): inspection
groups, inspections, issues found, rectified and closed, complaints received and concluded in
the calendar year — the campaign summary's figures, for the county or one township's units."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from core.annual import CALENDAR, AnnualScope, Figure, Section

from .models import Complaint
from .selectors import about, campaign_summary


def _url(name: str, scope: AnnualScope, **params) -> str:
    if scope.township is not None:
        params["township"] = scope.township.pk
    return f"{reverse(name)}?{urlencode(params)}"


def annual_section(scope: AnnualScope) -> Section:
    first, last = scope.calendar
    summary = campaign_summary(scope.user, date_from=first, date_to=last, township=scope.township)
    issues, complaints = summary["issues"], summary["complaints"]
    inspections_url = _url(
        "inspections:inspection_list", scope, date_from=first.isoformat(), date_to=last.isoformat()
    )
    found = {"found_from": first.isoformat(), "found_to": last.isoformat()}
    received = {"received_from": first.isoformat(), "received_to": last.isoformat()}

    def figure(key, label, value, unit, url, chart=""):
        return Figure(
            key=f"inspections.{key}",
            label=label,
            value=value,
            unit=unit,
            basis=CALENDAR,
            drill_url=url,
            chart=chart,
        )

    closed_loop = _("Issues: found, rectified, closed")

    figures = [
        figure("groups", _("Inspection groups at work"), summary["groups"], "个", inspections_url),
        figure("inspections", _("Inspections made"), summary["inspections"], "次", inspections_url),
        figure("units", _("Units inspected"), summary["units_inspected"], "个", inspections_url),
        figure(
            "issues_found",
            _("Issues found"),
            issues["found"],
            "个",
            _url("inspections:ledger", scope, **found),
            closed_loop,
        ),
        figure(
            "issues_rectified",
            _("Issues rectified"),
            issues["rectified"],
            "个",
            _url("inspections:ledger", scope, rectified="true", **found),
            closed_loop,
        ),
        figure(
            "issues_closed",
            _("Issues verified and closed (销号)"),
            issues["verified"],
            "个",
            _url("inspections:ledger", scope, status="verified", **found),
            closed_loop,
        ),
        figure(
            "complaints",
            _("Complaints received"),
            complaints["received"],
            "件",
            _url("inspections:complaint_list", scope, **received),
        ),
        figure(
            "complaints_concluded",
            _("Complaints concluded"),
            complaints["concluded"],
            "件",
            _url(
                "inspections:complaint_list", scope, status=Complaint.Status.CONCLUDED, **received
            ),
        ),
    ]
    made = summary["inspections"]
    made_text = f"{about(made)}余" if about(made) < made else str(made)
    where = scope.township.name if scope.township is not None else "全县教育系统"
    sentences = [
        f"抽调精干力量分成{summary['groups']}个组开展扶贫领域腐败和作风问题专项治理。"
        f"{scope.year}年开展覆盖{where}纵向监督检查{made_text}次，"
        f"发现问题{issues['found']}个，整改问题{issues['rectified']}个，"
        f"销号{issues['verified']}个。",
        f"受理举报、信访{complaints['received']}件，办结{complaints['concluded']}件。",
    ]
    return Section(
        key="inspections", title=_("Special inspections"), figures=figures, sentences=sentences
    )
