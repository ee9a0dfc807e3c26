"""Run by tests/core/test_replica.py in a process of its own, with DATABASE_URL pointing at a
throwaway primary and DATABASE_REPLICA_URL at its streaming replica: goes through the product's
export job, monthly report and annual summary and prints, as one JSON line, what each database
saw. The test asserts on it; this script only observes (python -m tests.core.replica_probe)."""

import datetime
import json
import os
import re
import time
from contextlib import ExitStack, contextmanager

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connections, router  # noqa: E402
from django.test import override_settings  # noqa: E402

from core.export_jobs import request_export  # noqa: E402
from core.models import ExportJob  # noqa: E402
from core.replica import REPLICA, reading, replica_alias  # noqa: E402
from dropout.models import MonthlyReport  # noqa: E402
from dropout.reports import previous_month  # noqa: E402
from dropout.services.reports import generate_month  # noqa: E402
from enrollment.models import Child  # noqa: E402
from enrollment.roles import Role  # noqa: E402
from enrollment.services import grant_role  # noqa: E402
from tests.factories import (  # noqa: E402
    ChildFactory,
    CountyFactory,
    HouseholdFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from yearend.models import AnnualSummary  # noqa: E402
from yearend.services import generate_summary  # noqa: E402

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)


def scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_for_replica(timeout: float = 60) -> None:
    position = scalar("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not scalar(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]):
        if time.monotonic() > deadline:
            raise RuntimeError("the replica did not catch up")
        time.sleep(0.1)


class QueryLog:
    """Every statement each connection runs (Django's execute wrappers), by alias."""

    def __init__(self):
        self.statements = {"default": [], REPLICA: []}

    @contextmanager
    def recording(self):
        with ExitStack() as stack:
            for alias, statements in self.statements.items():

                def wrapper(execute, sql, params, many, context, statements=statements):
                    statements.append(sql)
                    return execute(sql, params, many, context)

                stack.enter_context(connections[alias].execute_wrapper(wrapper))
            yield self

    def clear(self):
        for statements in self.statements.values():
            statements.clear()

    def selects(self, alias: str, table: str) -> int:
        """Statements that read `table` (not writes to it)."""
        name = re.compile(rf"\b{table}\b")
        return sum(1 for sql in self.statements[alias] if not WRITE.match(sql) and name.search(sql))

    def writes(self, alias: str) -> list[str]:
        return [sql[:80] for sql in self.statements[alias] if WRITE.match(sql)]


def export_rows(user, county) -> tuple[ExportJob, int]:
    job = request_export(
        user=user,
        exporter="ledger",
        title="replica probe",
        params={"kind": "county", "pk": county.pk, "query": {}},
    )
    job.refresh_from_db()  # the eager task ran on commit
    return job, job.rows_written


def main() -> dict:
    facts: dict = {
        "replica_port": int(settings.DATABASES[REPLICA]["PORT"]),
        "primary_port": int(settings.DATABASES["default"]["PORT"]),
        "replica_in_recovery": scalar(REPLICA, "SELECT pg_is_in_recovery()"),
        "primary_in_recovery": scalar("default", "SELECT pg_is_in_recovery()"),
        "routers": settings.DATABASE_ROUTERS,
    }

    # The data, written through the product's factories and services: to the primary.
    county = CountyFactory()
    township = TownshipFactory(county=county)
    village = VillageFactory(township=township)
    household = HouseholdFactory(village=village)
    for _ in range(3):
        ChildFactory(household=household)
    admin = UserFactory(username="replica-probe-admin")
    grant_role(user=admin, role=Role.COUNTY_ADMIN, place=county)
    wait_for_replica()

    # The router: nothing goes to the replica unless asked, writes never.
    facts["read_outside_block"] = router.db_for_read(Child)
    with reading() as chosen:
        facts["block_chose"] = chosen
        facts["read_inside_block"] = router.db_for_read(Child)
        facts["write_inside_block"] = router.db_for_write(Child)
        from django.db import transaction

        with transaction.atomic():
            facts["read_inside_transaction"] = router.db_for_read(Child)
        facts["raw_sql_alias"] = replica_alias()
    facts["migrate_on_replica"] = router.allow_migrate(REPLICA, "enrollment", model_name="child")
    facts["migrate_on_primary"] = router.allow_migrate("default", "enrollment", model_name="child")
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("CREATE TABLE replica_probe_write (id int)")
        facts["write_on_replica_refused"] = False
    except DatabaseError as error:
        facts["write_on_replica_refused"] = type(error).__name__

    log = QueryLog()
    with log.recording():
        # Replay paused: a child added on the primary now is not on the replica.
        scalar(REPLICA, "SELECT pg_wal_replay_pause()::text")
        deadline = time.monotonic() + 30
        while scalar(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise RuntimeError("replay did not pause")
            time.sleep(0.05)
        ChildFactory(household=household)
        facts["children_on_primary"] = Child.objects.using("default").count()
        facts["children_on_replica"] = Child.objects.using(REPLICA).count()

        # The export job reads from the (paused, slightly behind) replica, and writes its job
        # row to the primary: the replica has never seen that job.
        log.clear()
        with override_settings(DATABASE_REPLICA_MAX_LAG=600):
            job, rows = export_rows(admin, county)
        facts["export_status"] = job.status
        facts["export_error"] = job.error
        facts["export_rows_from_replica"] = rows
        facts["export_job_on_replica"] = ExportJob.objects.using(REPLICA).filter(pk=job.pk).exists()
        facts["export_child_selects"] = {
            alias: log.selects(alias, "enrollment_child") for alias in log.statements
        }
        facts["export_replica_writes"] = log.writes(REPLICA)
        facts["export_primary_writes"] = len(log.writes("default"))

        # Too far behind for the limit: the same export reads from the primary (all 4 rows).
        log.clear()
        with override_settings(DATABASE_REPLICA_MAX_LAG=0):
            job, rows = export_rows(admin, county)
        facts["export_rows_when_replica_too_old"] = rows
        facts["export_child_selects_when_too_old"] = {
            alias: log.selects(alias, "enrollment_child") for alias in log.statements
        }

        # The monthly report: its figures are read on the replica (the raw status-history query
        # included); the snapshot is written to the primary only.
        log.clear()
        month = previous_month(datetime.date.today())
        with override_settings(DATABASE_REPLICA_MAX_LAG=600):
            reports = generate_month(county=county, month=month, actor=admin)
        facts["report_count"] = len(reports)
        facts["report_on_replica"] = (
            MonthlyReport.objects.using(REPLICA).filter(county_id=county.pk).exists()
        )
        facts["report_history_selects"] = {
            alias: log.selects(alias, "enrollment_enrollmentstatuschange")
            for alias in log.statements
        }
        facts["report_replica_writes"] = log.writes(REPLICA)

        # The annual figures: every section's reads on the replica, the summary on the primary.
        log.clear()
        with override_settings(DATABASE_REPLICA_MAX_LAG=600):
            summary = generate_summary(
                county=county, township=None, year=datetime.date.today().year, actor=admin
            )
        facts["summary_sections"] = len(summary.sections)
        facts["summary_on_replica"] = (
            AnnualSummary.objects.using(REPLICA).filter(pk=summary.pk).exists()
        )
        facts["annual_child_selects"] = {
            alias: log.selects(alias, "enrollment_child") for alias in log.statements
        }
        facts["annual_replica_statements"] = len(log.statements[REPLICA])
        facts["annual_replica_writes"] = log.writes(REPLICA)

    # Replay resumed: the replica catches up with everything the primary wrote.
    scalar(REPLICA, "SELECT pg_wal_replay_resume()::text")
    wait_for_replica()
    facts["children_on_replica_after_resume"] = Child.objects.using(REPLICA).count()
    facts["export_job_on_replica_after_resume"] = (
        ExportJob.objects.using(REPLICA).filter(pk=job.pk).exists()
    )
    return facts


if __name__ == "__main__":
    print(json.dumps(main(), default=str))
