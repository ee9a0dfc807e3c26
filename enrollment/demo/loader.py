"""Loading the demo: each missing county in its own transaction, from its own seed."""

import time

from django.contrib.auth import get_user_model
from django.db import transaction

from ..models import County
from .county import DemoCounty
from .data import DEMO_COUNTY_CODE, SCALES


def load_demo(
    scale_name: str = "demo", *, counties: int | None = None, progress=None
) -> tuple[County, bool]:
    """Build the demo county (and, at city scale, nine more); the first county is returned with
    whether anything was loaded. `counties` overrides the scale's number of counties. Counties
    already present are left alone and the missing ones added, so a database can be grown one
    step at a time (1, then 3, then 10 counties). Each county is loaded in its own transaction,
    from its own seed (the first county is the same at every scale's size of it)."""
    scale = SCALES[scale_name]
    wanted = scale.counties if counties is None else counties
    present = set(
        County.objects.filter(
            code__in=[f"{int(DEMO_COUNTY_CODE) + index}" for index in range(wanted)]
        ).values_list("code", flat=True)
    )
    loader = None
    for county_index in range(wanted):
        if f"{int(DEMO_COUNTY_CODE) + county_index}" in present:
            continue
        if loader is None:
            loader, _ = get_user_model().objects.get_or_create(
                username="data-loader", defaults={"is_active": False}
            )
        started = time.monotonic()
        with transaction.atomic():
            builder = DemoCounty(scale, county_index=county_index, seed=2026 + county_index)
            builder.build_places()
            builder.build_people(loader)
            builder.build_statuses(loader)
            builder.build_visits_and_pairings(loader)
        if progress:
            progress(
                f"{builder.county.name}: {len(builder.children)} children "
                f"({time.monotonic() - started:.1f} s)"
            )
        del builder
    return County.objects.get(code=DEMO_COUNTY_CODE), loader is not None
