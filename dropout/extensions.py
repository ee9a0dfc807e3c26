"""Hooks through which the apps above the dropout module add to its monthly report and its case
list without the module importing them (the dependency direction stays one-way).

A report line is a sentence with its figures that another app owns (the risk warning's
高风险儿童 N 名，已走访 M 名). The lines are read when a month's reports are generated and stored
with the report's figures, so an approved (locked) report keeps the line it was approved with."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class ReportLine:
    key: str  # stable ("risk.high_risk"): the workbook's row code and the page's data-line
    text: str  # the sentence in Chinese, figures filled in (the report's language)
    values: dict = field(default_factory=dict)  # the figures behind the sentence


# Each provider: (county, month) -> {scope: ReportLine}, a scope being "county" or a township's
# id (the keys of dropout.reports.compute_month's answer); a scope left out gets no line, an
# empty answer (or None) adds nothing to any report.
REPORT_LINE_PROVIDERS: list[Callable] = []


def register_report_line(provider: Callable) -> None:
    if provider not in REPORT_LINE_PROVIDERS:
        REPORT_LINE_PROVIDERS.append(provider)


def report_lines(county, month) -> dict:
    """{scope: [line as a dict, …]} from every provider, in registration order."""
    lines: dict = {}
    for provider in REPORT_LINE_PROVIDERS:
        for scope, line in (provider(county, month) or {}).items():
            lines.setdefault(scope, []).append(asdict(line))
    return lines
