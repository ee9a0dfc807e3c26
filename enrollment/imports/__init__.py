"""The registry's Excel imports: the police household extract of a township (派出所户籍花名册)
and a school's roll (学籍名单), through the generic pipeline of `core.imports`.

Both compare the whole file with the database in a few queries and write in bulk
(`bulk_create_with_history` / `bulk_update_with_history`), keeping the rules of the services:
a resident ID is checked with python-stdnum, a new child starts 'not verified' (or 'not yet
school age') with a dated status entry, a status change records the previous status, who and
why, and never goes back before the last recorded change (`enrollment.status_dates`).

The package: `police` (the extract's importer), `police_sql` (its kept plan and its SQL),
`roll` (the school roll), `common` (roles, reasons, the resident-ID cell).
"""

from .police import POLICE_EXTRACT, PoliceExtractImporter
from .roll import SCHOOL_ROLL, parse_grade

__all__ = ["POLICE_EXTRACT", "SCHOOL_ROLL", "PoliceExtractImporter", "parse_grade"]
