"""A fictional county (云溪县) for the demo and the tests: places, schools, households, children
with valid resident IDs, a realistic status mix with dated history, visits and help pairings.

Deterministic (seeded random) and idempotent: a county already present is left alone (and the
missing ones of a larger scale added). Rows are written in bulk (COPY on PostgreSQL, with their
"created" history), so loading does not pass through the services one by one.

The names below are what the command, the modules' demo loaders and the tests use.
"""

from .accounts import DEMO_USERS, demo_accounts, ensure_demo_users
from .county import DemoCounty
from .data import DEMO_COUNTY_CODE, DEMO_PASSWORD, DEMO_REASON, GIVEN, SCALES, SURNAMES, Scale
from .loader import load_demo

__all__ = [
    "DEMO_COUNTY_CODE",
    "DEMO_PASSWORD",
    "DEMO_REASON",
    "DEMO_USERS",
    "GIVEN",
    "SCALES",
    "SURNAMES",
    "DemoCounty",
    "Scale",
    "demo_accounts",
    "ensure_demo_users",
    "load_demo",
]
