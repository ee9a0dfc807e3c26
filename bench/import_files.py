"""Benchmark support for the Excel import (issue 8): a 100,000-row police extract of the benchmark
county, the import measured end to end (dry run + commit), its peer (django-import-export with
its default settings) and its ceiling (PostgreSQL COPY of the same rows).

Every job has the signature of bench/jobs.py (`job(user, **params) -> rows`) and leaves the
database as it found it: the work runs inside a transaction that is rolled back at the end, so
the same file measures the same work on every run.

    write_police_extract(path, county_code="…", rows=100_000)   # once, before the jobs
    police_import(user, path=…, scope="county:<pk>")            # the product: dry run + commit
    peer_police_import(user, path=…, scope="county:<pk>")       # django-import-export defaults
    copy_police_rows(user, path=…)                              # the ceiling: COPY
"""

from __future__ import annotations

import datetime
import random
from pathlib import Path

from django.db import connection, transaction


class _RolledBack(Exception):
    pass


# The household register's other columns, as a police system exports them beside the ones the
# import reads (the heavy extract: 150,000 rows of these make ~380 MB of sheet XML).
HEAVY_COLUMNS = (
    ("民族", "汉族"),
    ("政治面貌", "群众"),
    ("文化程度", "小学在读"),
    ("宗教信仰", "无"),
    ("户号", "{village}{sequence:06d}"),
    ("户类型", "农业家庭户口"),
    ("与户主关系", "孙子"),
    ("户主姓名", "监护人"),
    ("籍贯", "云岭省云岭市"),
    ("出生地", "云岭省云岭市城关镇人民医院"),
    ("登记机关", "云岭市公安局城关派出所户籍管理科"),
    ("何时由何地迁来", "出生登记，由本派出所辖区内申报入户"),
    ("服务处所", "无"),
    ("登记日期", "{birth}"),
    ("承办人", "户籍民警"),
    ("数据来源", "全国人口信息管理系统（省级）导出"),
    ("备注", "本人户籍信息经派出所核对无误，与居民户口簿一致"),
)


def write_police_extract(
    path,
    *,
    county_code: str,
    rows: int = 100_000,
    existing_share: float = 0.3,
    seed: int = 8,
    heavy: bool = False,
    error_every: int = 0,
) -> int:
    """A police extract of the county's villages: `existing_share` of the rows are children
    already registered (as the police list them: unchanged, a few with a new phone number),
    the rest new children with valid IDs. Header on the first row (the peer needs it there).
    `heavy`: the household register's other columns too (HEAVY_COLUMNS, its first seven
    twice); `error_every`: every n-th row's sex is written "M" (a row error)."""
    from core.resident_id import make_resident_id
    from enrollment.import_samples import POLICE_HEADERS, police_row, write_sheet
    from enrollment.models import Child, County

    county = County.objects.get(code=county_code)
    villages = list(county.townships.order_by("code").values_list("villages__pk", "villages__code"))
    villages = [(pk, name) for pk, name in villages if pk]
    rng = random.Random(seed)
    wanted_existing = int(rows * existing_share)
    existing = (
        Child.objects.filter(village__township__county=county, has_no_resident_id=False)
        .select_related("household", "village")
        .order_by("pk")[:wanted_existing]
    )
    taken = set(Child.objects.values_list("resident_id", flat=True))
    place = county.code[:4] + "99"  # a birth-place code the demo data do not use
    today = datetime.date.today()

    def generate():
        count = 0
        for child in existing.iterator(chunk_size=5000):
            count += 1
            phone = f"139{rng.randrange(10**8):08d}" if count % 50 == 0 else None
            row = police_row(count, child, phone=phone)
            row[10] = child.village.code  # a county-wide extract names villages by code
            yield row
        sequence = 0
        while count < rows:
            birth = today - datetime.timedelta(days=rng.randrange(6 * 365, 15 * 365))
            sex = "M" if rng.random() < 0.52 else "F"
            number = make_resident_id(
                place_code=place, birth_date=birth, sequence=sequence % 500, sex=sex
            )
            sequence += 1
            if number in taken:
                continue
            taken.add(number)
            count += 1
            village_pk, village_name = villages[rng.randrange(len(villages))]
            yield [
                count,
                f"{'王李张刘陈杨黄赵吴周'[rng.randrange(10)]}{'子欣雨梓浩宇轩涵晨思'[rng.randrange(10)]}"
                f"{'明阳琳瑶博文嘉诗怡睿'[rng.randrange(10)]}",
                "男" if sex == "M" else "女",
                number,
                birth,
                f"{village_name}{rng.randrange(1, 13)}组{rng.randrange(1, 200)}号",
                "",
                "监护人",
                "父亲",
                f"138{rng.randrange(10**8):08d}",
                village_name,
            ]

    headers, rows_of = POLICE_HEADERS, generate()
    if heavy or error_every:
        headers, rows_of = _heavier(rows_of, heavy=heavy, error_every=error_every)
    return write_sheet(Path(path), headers, rows_of, total_row=False, constant_memory=True)


def _heavier(rows, *, heavy: bool, error_every: int):
    from enrollment.import_samples import POLICE_HEADERS

    # The register's columns, and the first seven again (a second address and contact block).
    extra = [*HEAVY_COLUMNS, *((f"{header}2", value) for header, value in HEAVY_COLUMNS[:7])]
    extra = extra if heavy else []

    def generate():
        for row in rows:
            sequence = row[0]
            if error_every and sequence % error_every == 0:
                row[2] = "M"
            if extra:
                birth = row[4].isoformat() if hasattr(row[4], "isoformat") else str(row[4])
                row += [
                    value.format(village=row[10], sequence=sequence, birth=birth)
                    for _header, value in extra
                ]
            yield row

    return POLICE_HEADERS + [header for header, _value in extra], generate()


def police_dry_run(user, *, path: str, scope: str, expect_errors: int = 0) -> int:
    """The product's dry run alone (upload, check, report; rolled back afterwards): its rows.
    The job's peak memory is the dry run's own. Fails unless the report has `expect_errors`
    row errors (a file with errors is measured with its errors reported)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.import_jobs import run_check, start_import

    rows = 0
    try:
        with transaction.atomic():
            job = start_import(
                user=user,
                importer="police_extract",
                scope_key=scope,
                # The upload's bytes are not kept: a worker reads the stored file.
                upload=SimpleUploadedFile("extract.xlsx", Path(path).read_bytes()),
            )
            job = run_check(job.pk)
            if job.status not in (job.Status.CHECKED, job.Status.REJECTED) or not job.rows_total:
                raise RuntimeError(f"dry run: {job.status} {job.error}")
            if job.report.get("errors_total", 0) != expect_errors or len(
                job.report["errors"]
            ) != min(expect_errors, 5000):
                raise RuntimeError(
                    f"dry run: {job.report.get('errors_total')} errors, {expect_errors} expected"
                )
            rows = job.rows_total
            raise _RolledBack
    except _RolledBack:
        pass
    return rows


def police_import(user, *, path: str, scope: str) -> int:
    """The product's import end to end: upload, dry run, commit (rolled back afterwards)."""
    return _product_import(user, importer="police_extract", path=path, scope=scope)


def _product_import(user, *, importer: str, path: str, scope: str) -> int:
    """An import of the product end to end: upload, dry run, commit (rolled back afterwards)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.import_jobs import request_commit, run_check, run_commit, start_import
    from core.models import ImportJob

    rows = 0
    try:
        with transaction.atomic():
            job = start_import(
                user=user,
                importer=importer,
                scope_key=scope,
                # The upload's bytes are not kept: a worker reads the stored file.
                upload=SimpleUploadedFile("extract.xlsx", Path(path).read_bytes()),
            )
            job = run_check(job.pk)
            if job.status != ImportJob.Status.CHECKED:
                raise RuntimeError(
                    f"dry run: {job.status} {job.error} {job.report.get('errors', [])[:3]}"
                )
            request_commit(job=job, actor=user)
            job = run_commit(job.pk)
            if job.status != ImportJob.Status.COMMITTED:
                raise RuntimeError(f"commit: {job.status} {job.error}")
            rows = job.rows_total
            # The foreign keys are checked at COMMIT (deferred); the rollback would skip them.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise _RolledBack
    except _RolledBack:
        pass
    return rows


def peer_police_import(user, *, path: str, scope: str) -> int:
    """django-import-export with its default settings on the same file: a ModelResource of the
    children (resident ID as the import key), the village by its code, the household found or made
    from (village, address) per row; dry run, then the real import (rolled back afterwards)."""
    import tablib
    from import_export import fields, resources, widgets

    from enrollment.models import Child, Household, Village

    kind, _sep, pk = scope.partition(":")
    villages = Village.objects.filter(
        **({"township__county_id": pk} if kind == "county" else {"township_id": pk})
    )

    class VillageWidget(widgets.ForeignKeyWidget):
        def get_queryset(self, value, row, *args, **kwargs):
            return villages

    class PoliceResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="姓名")
        sex = fields.Field(attribute="sex", column_name="性别")
        resident_id = fields.Field(attribute="resident_id", column_name="公民身份号码")
        birth_date = fields.Field(
            attribute="birth_date", column_name="出生日期", widget=widgets.DateWidget()
        )
        guardian_name = fields.Field(attribute="guardian_name", column_name="监护人姓名")
        guardian_relation = fields.Field(attribute="guardian_relation", column_name="与儿童关系")
        guardian_phone = fields.Field(attribute="guardian_phone", column_name="联系电话")
        village = fields.Field(
            attribute="village", column_name="村（社区）", widget=VillageWidget(Village, "code")
        )

        class Meta:
            model = Child
            import_id_fields = ("resident_id",)
            fields = (
                "name",
                "sex",
                "resident_id",
                "birth_date",
                "guardian_name",
                "guardian_relation",
                "guardian_phone",
                "village",
            )

        def before_import_row(self, row, **kwargs):
            row["性别"] = "M" if row["性别"] == "男" else "F"
            row["联系电话"] = str(row["联系电话"] or "")

        def before_save_instance(self, instance, row, **kwargs):
            household = Household.objects.filter(
                village=instance.village, address=row["户籍地址"]
            ).first()
            if household is None:
                household = Household.objects.create(
                    village=instance.village, address=row["户籍地址"], head_name=row["监护人姓名"]
                )
            instance.household = household

    with open(path, "rb") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="xlsx")
    rows = 0
    try:
        with transaction.atomic():
            resource = PoliceResource()
            result = resource.import_data(dataset, dry_run=True)
            if result.has_errors() or result.has_validation_errors():
                raise RuntimeError("peer dry run found errors")
            result = PoliceResource().import_data(dataset, dry_run=False)
            if result.has_errors() or result.has_validation_errors():
                raise RuntimeError("peer import found errors")
            rows = len(dataset)
            raise _RolledBack
    except _RolledBack:
        pass
    return rows


def copy_police_rows(user, *, path: str) -> int:
    """The ceiling: the same rows read with python-calamine and sent with one COPY into a
    table of the same columns (no checks, no comparison, no history)."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    grid = workbook.get_sheet_by_index(0).to_python()
    workbook.close()
    rows = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE police_copy (sequence int, name text, sex text, "
                "resident_id text, birth_date date, address text, current_address text, "
                "guardian_name text, guardian_relation text, guardian_phone text, village text) "
                "ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY police_copy FROM STDIN") as copy:
                for values in grid[1:]:
                    birth = values[4]
                    copy.write_row(
                        [
                            int(values[0]),
                            values[1],
                            values[2],
                            values[3],
                            birth if isinstance(birth, datetime.date) else None,
                            values[5],
                            values[6],
                            values[7],
                            values[8],
                            str(values[9]),
                            values[10],
                        ]
                    )
                    rows += 1
            raise _RolledBack
    except _RolledBack:
        pass
    return rows


JOBS = {
    "police_import": police_import,
    "police_dry_run": police_dry_run,
    "peer_police_import": peer_police_import,
    "copy_police_rows": copy_police_rows,
}


# --- the 学籍 roster (issue 20) ----------------------------------------------------------------

ROSTER_STATUS_MIX = ("在籍",) * 46 + ("休学", "转出", "辍学", "毕业")


def write_xueji_roster(path, *, county_code: str, rows: int = 100_000, seed: int = 20) -> int:
    """A 学籍 roster of the county's schools: its registered children with an ID (their G
    number, their school or one of the county's, a grade, mostly 在籍), then pupils the
    registry does not know (reported by the import, not recorded) up to `rows`."""
    from core.resident_id import make_resident_id
    from enrollment.import_samples import GRADE_NAMES, ROSTER_HEADERS, write_sheet
    from enrollment.models import Child, County, School

    county = County.objects.get(code=county_code)
    schools = dict(School.objects.filter(township__county=county).values_list("pk", "code"))
    codes = sorted(schools.values())
    rng = random.Random(seed)
    children = (
        Child.objects.filter(village__township__county=county, has_no_resident_id=False)
        .order_by("pk")
        .values_list("resident_id", "student_number", "name", "current_school_id", "grade")[:rows]
    )
    place = county.code[:4] + "98"
    today = datetime.date.today()

    def generate():
        count = 0
        for resident_id, held, name, school_id, grade in children.iterator(chunk_size=5000):
            count += 1
            code = schools.get(school_id) or codes[count % len(codes)]
            status = ROSTER_STATUS_MIX[rng.randrange(len(ROSTER_STATUS_MIX))]
            grade = grade or 1 + count % 9
            number = held or "G" + resident_id
            yield [number, name, resident_id, code, GRADE_NAMES[grade], "1班", status]
        sequence, seen = 0, set()
        while count < rows:
            birth = today - datetime.timedelta(days=rng.randrange(6 * 365, 15 * 365))
            number = make_resident_id(
                place_code=place, birth_date=birth, sequence=sequence % 500, sex="M"
            )
            sequence += 1
            if number in seen:
                continue
            seen.add(number)
            count += 1
            yield ["G" + number, "外来生", number, codes[count % len(codes)], "三年级", "", "在籍"]

    return write_sheet(
        Path(path), ROSTER_HEADERS, generate(), total_row=False, constant_memory=True
    )


def xueji_import(user, *, path: str, scope: str) -> int:
    """The product's 学籍 roster import end to end (rolled back afterwards)."""
    return _product_import(user, importer="xueji_roster", path=path, scope=scope)


def peer_xueji_import(user, *, path: str, scope: str) -> int:
    """django-import-export with its default settings on a roster: the children found by their
    resident ID, the 学籍号, status, school (by code), grade and class set per row."""
    import tablib
    from import_export import fields, resources, widgets

    from enrollment.imports.roll import parse_grade
    from enrollment.imports.roster import parse_roster_status
    from enrollment.models import Child, School

    class RosterResource(resources.ModelResource):
        resident_id = fields.Field(attribute="resident_id", column_name="公民身份号码")
        student_number = fields.Field(attribute="student_number", column_name="全国学籍号")
        roster_status = fields.Field(attribute="roster_status", column_name="学籍状态")
        roster_school = fields.Field(
            attribute="roster_school",
            column_name="学校标识码",
            widget=widgets.ForeignKeyWidget(School, "code"),
        )
        roster_grade = fields.Field(attribute="roster_grade", column_name="年级")
        roster_class = fields.Field(attribute="roster_class", column_name="班级")

        class Meta:
            model = Child
            import_id_fields = ("resident_id",)
            skip_unchanged = False
            fields = (
                "resident_id",
                "student_number",
                "roster_status",
                "roster_school",
                "roster_grade",
                "roster_class",
            )

        def before_import_row(self, row, **kwargs):
            row["学籍状态"] = parse_roster_status(row["学籍状态"])
            row["年级"] = parse_grade(row["年级"])
            row["班级"] = row["班级"] or ""

    with open(path, "rb") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="xlsx")
    known = set(Child.objects.values_list("resident_id", flat=True))
    keep = [index for index, row in enumerate(dataset.dict) if row["公民身份号码"] in known]
    dataset = dataset.subset(rows=keep) if len(keep) != len(dataset) else dataset
    rows = 0
    try:
        with transaction.atomic():
            for dry_run in (True, False):
                result = RosterResource().import_data(dataset, dry_run=dry_run)
                if result.has_errors() or result.has_validation_errors():
                    raise RuntimeError("peer roster import found errors")
            rows = len(dataset)
            raise _RolledBack
    except _RolledBack:
        pass
    return rows


def four_source_crosscheck(user, *, county_pk: int) -> int:
    """job.four_source_crosscheck: the county's 四查三比对 — every township's open counts of
    every kind (the county page's figures) and each township's lists as the page counts them."""
    from enrollment.four_sources import county_counts, township_counts
    from enrollment.models import County, Township

    county = County.objects.get(pk=county_pk)
    county_counts(user, county)
    townships = 0
    for township in Township.objects.filter(county=county).order_by("code"):
        township_counts(user, township)
        townships += 1
    return townships


JOBS.update(
    {
        "xueji_import": xueji_import,
        "peer_xueji_import": peer_xueji_import,
        "four_source_crosscheck": four_source_crosscheck,
    }
)
