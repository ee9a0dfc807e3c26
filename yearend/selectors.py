"""Computing a year's figures (every app's registered section) and reading stored ones."""

import datetime
from decimal import Decimal

from core.annual import AnnualScope, Section, annual_sections


def to_stored(value):
    """JSON keeps money and rates exactly as text; counts stay numbers; None is not applicable."""
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_stored(value):
    if isinstance(value, str):
        return Decimal(value)
    return value


def serialise(sections: list[Section]) -> list[dict]:
    return [
        {
            "key": section.key,
            "title": str(section.title),
            "figures": [
                {
                    "key": figure.key,
                    "label": str(figure.label),
                    "value": to_stored(figure.value),
                    "unit": str(figure.unit),
                    "basis": figure.basis,
                    "drill_url": figure.drill_url,
                    "chart": str(figure.chart),
                }
                for figure in section.figures
            ],
            "sentences": [str(sentence) for sentence in section.sentences],
        }
        for section in sections
    ]


def compute_sections(
    *, user, county, township, year: int, today: datetime.date, progress=None
) -> list[dict]:
    scope = AnnualScope(user=user, county=county, township=township, year=year, today=today)
    return serialise(annual_sections(scope, progress=progress))


def figure_values(sections: list[dict]) -> dict:
    """{figure key: value} of stored sections: what the period lock compares."""
    return {figure["key"]: figure["value"] for section in sections for figure in section["figures"]}


def figure_labels(sections: list[dict]) -> dict:
    return {
        figure["key"]: f"{section['title']} · {figure['label']}"
        for section in sections
        for figure in section["figures"]
    }
