"""The annual summary's sections (年度工作数据): each app registers the figures it owns for a year
and a scope (its own queries, through its models' `for_user()`), and the summary asks every
provider in order. Core knows no domain: a provider gets an `AnnualScope` and answers with a
`Section` of `Figure`s and the report's sentences with those figures filled in, or None when it
has nothing for that scope."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .replica import reading

# Where a figure's period comes from (its source defines it): the calendar year, the school year
# that ends in that year (1 September of the year before to 31 August), or the figure is a
# stock counted on the summary's day.
CALENDAR = "calendar"
SCHOOL_YEAR = "school_year"
ON_DAY = "on_day"


@dataclass(frozen=True)
class AnnualScope:
    """Whose summary, for which year: the user's `for_user()` scope narrowed to one county and,
    for a township's summary, one township (None: the whole county)."""

    user: object
    county: object
    township: object | None
    year: int
    today: datetime.date

    @property
    def calendar(self) -> tuple[datetime.date, datetime.date]:
        return datetime.date(self.year, 1, 1), datetime.date(self.year, 12, 31)

    @property
    def school_year(self) -> tuple[datetime.date, datetime.date]:
        return datetime.date(self.year - 1, 9, 1), datetime.date(self.year, 8, 31)

    @property
    def day(self) -> datetime.date:
        """The day stock figures are counted on: the year's last day, or today in the current
        year (a summary of an unfinished year says so on the page)."""
        return min(datetime.date(self.year, 12, 31), self.today)

    def period(self, basis: str) -> tuple[datetime.date, datetime.date]:
        if basis == SCHOOL_YEAR:
            return self.school_year
        if basis == ON_DAY:
            return self.day, self.day
        return self.calendar


@dataclass
class Figure:
    key: str  # stable ("subsidies.total"): the API field, the workbook row, the lock's diff key
    label: str
    value: int | Decimal | None  # None: not applicable to this scope (shown as —)
    unit: str = ""  # 人, 万元, %, 次, 个 …
    basis: str = CALENDAR
    drill_url: str = ""  # the list of the rows behind the figure, already filtered
    # The title of the chart the figure is drawn in (figures people compare: the programmes'
    # money, the enrollment rates); the figures of one chart share a unit. "": not charted.
    chart: str = ""


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    # The county report's sentences with this section's figures filled in, in the bureau's words.
    sentences: list[str] = field(default_factory=list)


# Each provider: (scope: AnnualScope) -> Section | None, registered with an order (the report's
# order: registry, dropout, subsidies, inspections, teachers).
_PROVIDERS: list[tuple[int, Callable]] = []


def register_annual_section(provider: Callable, *, order: int = 100) -> None:
    if provider not in [registered for _order, registered in _PROVIDERS]:
        _PROVIDERS.append((order, provider))


def annual_sections(scope: AnnualScope, *, progress: Callable | None = None) -> list[Section]:
    """Every registered section for the scope, in order; `progress(done, total)` after each."""
    sections = []
    providers = sorted(_PROVIDERS, key=lambda entry: entry[0])
    for done, (_order, provider) in enumerate(providers, start=1):
        # Figures of a year: read from the replica when there is one (core.replica).
        with reading():
            section = provider(scope)
        if section is not None:
            sections.append(section)
        if progress is not None:
            progress(done, len(providers))
    return sections


def flat_figures(sections: list[Section]) -> dict[str, Figure]:
    return {figure.key: figure for section in sections for figure in section.figures}
