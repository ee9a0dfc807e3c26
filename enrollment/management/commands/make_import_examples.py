"""Write the example import files of the demo county (linked from the import page):

- a clean police extract of the first township (every child, a few new ones, a few new phone
  numbers), which imports as it is;
- a messy one: title rows, an empty row, a 合计 row, spellings to normalise (full-width digits,
  lowercase x, spaces in IDs, dates as 2015.3.4 or 2015年3月4日) and one row for each fault the
  import refuses;
- the roll of the first primary school: its pupils, two unaccounted children of the township
  and one ID no police extract lists (they show up in the cross-check);
- the township's poverty registers (its poor households' children, each household's head as a
  member the registry does not hold) and the 残联's certificates of its disabled children (one
  adult holder, reported and skipped).

Deterministic on the demo data: `manage.py seed_demo` then `manage.py make_import_examples`.
"""

import datetime
import random
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.resident_id import make_resident_id
from enrollment.import_samples import (
    DISABILITY_CATEGORY_DIGITS,
    DISABILITY_HEADERS,
    GRADE_NAMES,
    POLICE_HEADERS,
    POVERTY_HEADERS,
    ROLL_HEADERS,
    ROSTER_HEADERS,
    Formula,
    Number,
    disability_row,
    police_row,
    poverty_row,
    roll_row,
    roster_row,
    write_sheet,
)
from enrollment.models import (
    UNACCOUNTED_STATUSES,
    Child,
    County,
    EnrollmentStatus,
    PovertyStatus,
    School,
    Village,
)

OUT = Path(__file__).resolve().parents[2] / "static" / "enrollment" / "import-examples"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


class Command(BaseCommand):
    help = "Write example police extracts (clean and messy) and a school roll of the demo county."

    def add_arguments(self, parser):
        parser.add_argument("--county", default="519901", help="county division code")
        parser.add_argument("--out", default=str(OUT))

    def handle(self, *args, county, out, **options):
        county = County.objects.filter(code=county).first()
        if county is None:
            raise CommandError("No such county: load the demo first (manage.py seed_demo).")
        township = county.townships.order_by("code").first()
        school = (
            township.schools.filter(stage=School.Stage.PRIMARY).order_by("code").first()
            or township.schools.order_by("code").first()
        )
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        rng = random.Random(20260901)
        children = list(
            Child.objects.filter(village__township=township, has_no_resident_id=False)
            .exclude(status__in=[EnrollmentStatus.DECEASED, EnrollmentStatus.MOVED_AWAY])
            .select_related("household", "village")
            .order_by("village__code", "name", "pk")
        )
        villages = list(township.villages.order_by("code"))
        names = Counter(
            Village.objects.filter(township__county=county).values_list("name", flat=True)
        )

        def village_label(village):
            # A name two townships of the county share is written with its township, so that
            # the file checks clean at the county's scope as well as the township's.
            if names[village.name] > 1:
                return township.name + village.name
            return village.name

        rows = []
        for number, child in enumerate(children, start=1):
            phone = None
            if number % 97 == 0:  # a few guardians changed their number
                phone = f"139{rng.randrange(10**8):08d}"
            row = police_row(number, child, phone=phone)
            row[10] = village_label(child.village)
            if number % 5 == 0:
                row[10] = child.village.code  # the police list villages by code too
            rows.append(row)
        taken = set(Child.objects.values_list("resident_id", flat=True))
        today = timezone.localdate()
        for index in range(8):  # children moved in or newly registered
            birth = datetime.date(today.year - 7 - index % 6, 1 + index, 10 + index)
            sex = "M" if index % 2 else "F"
            number = make_resident_id(
                place_code=county.code, birth_date=birth, sequence=480 + index, sex=sex
            )
            if number in taken:
                continue
            village = villages[index % len(villages)]
            rows.append(
                [
                    len(rows) + 1,
                    f"{'赵钱孙李周吴郑王'[index]}新{'一二三四五六七八'[index]}",
                    "男" if sex == "M" else "女",
                    number,
                    birth,
                    f"{village.name}{index + 1}组{20 + index}号",
                    "",
                    f"{'赵钱孙李周吴郑王'[index]}大山",
                    "父亲" if index % 2 else "母亲",
                    f"137{rng.randrange(10**8):08d}",
                    village_label(village),
                ]
            )
        title = f"{township.name}适龄儿童少年户籍花名册"
        write_sheet(
            out / "police-extract-clean.xlsx",
            POLICE_HEADERS,
            rows,
            title=title,
            subtitle="填报单位：派出所（演示数据）",
        )
        write_sheet(
            out / "police-extract-messy.xlsx",
            POLICE_HEADERS,
            self._messy(rows[:40], villages, county.code),
            title=title,
            subtitle="填报单位：派出所（演示数据，故意包含错误）",
            blank_row_after=10,
        )
        self._roll(out / "school-roll.xlsx", school, township, county, rng)
        self._roster(out / "xueji-roster.xlsx", township)
        self._poverty(out / "poverty-registers.xlsx", township, county)
        self._disability(out / "disability-certificates.xlsx", township, county)
        self.stdout.write(f"Wrote the examples of {township.name} and {school.name} to {out}")

    def _messy(self, rows, villages, county_code):
        rows = [list(row) for row in rows]
        for row in rows[0:3]:
            row[3] = row[3].translate(FULL_WIDTH)  # full-width digits: normalised
        rows[3][3] = f"{rows[3][3][:6]} {rows[3][3][6:14]} {rows[3][3][14:]}".lower()
        rows[4][1] = rows[4][1] + "\u3000"  # a trailing full-width space: normalised
        birth = rows[5][4]
        rows[5][4] = f"{birth.year}.{birth.month}.{birth.day}"
        other = rows[6][4]
        rows[6][4] = f"{other.year}年{other.month}月{other.day}日"
        rows[7][4] = rows[7][4].strftime("%Y/%m/%d")
        # Faults, one per row:
        rows[10][3] = Number(float(rows[10][3]))  # an ID Excel turned into a number
        last = rows[11][3]
        rows[11][3] = last[:17] + ("1" if last[17] != "1" else "2")  # a wrong check digit
        rows[12][4] = rows[12][4] + datetime.timedelta(days=1)  # birth date against the ID
        rows[13][2] = "女" if rows[13][2] == "男" else "男"  # sex against the ID
        rows[14][10] = "不存在村"  # an unknown village
        rows[15][1] = Formula(f'="{rows[15][1][0]}"&"{rows[15][1][1:]}"', rows[15][1])
        rows[16][5] = "某某" * 300  # an absurdly long cell
        rows.append(list(rows[20]))  # the same child twice
        return rows

    def _roll(self, path, school, township, county, rng):
        pupils = list(
            Child.objects.filter(
                current_school=school, status=EnrollmentStatus.IN_SCHOOL, has_no_resident_id=False
            )
            .select_related("household")
            .order_by("grade", "class_name", "name", "pk")
        )
        rows = []
        first_september = datetime.date(timezone.localdate().year - 1, 9, 1)
        for child in pupils:
            grade = child.grade or 1
            entry = datetime.date(first_september.year - (grade - 1) % 6, 9, 1)
            rows.append(
                roll_row(
                    child,
                    grade=grade,
                    class_name=child.class_name or "1班",
                    entry_date=entry,
                    boarder=child.is_boarder,
                    inclusive=child.is_inclusive,
                )
            )
        missing = (
            Child.objects.filter(village__township=township, status__in=UNACCOUNTED_STATUSES)
            .exclude(resident_id__isnull=True)
            .order_by("birth_date", "pk")
        )
        for child in missing[:2]:  # found again: they are in this school after all
            rows.append(roll_row(child, grade=3, class_name="1班", entry_date=first_september))
        stranger = make_resident_id(
            place_code=county.code,
            birth_date=datetime.date(first_september.year - 9, 6, 1),
            sequence=499,
            sex="F",
        )
        rows.append(
            ["外来生", "", "G" + stranger, GRADE_NAMES[3], "2班", first_september, "否", "否"]
        )
        write_sheet(path, ROLL_HEADERS, rows, title=f"{school.name}学籍名单")

    def _roster(self, path, township):
        """The 学籍 roster of the township's schools: their pupils in school, 在籍, two of them
        休学 and one 转出 (mismatches the cross-check lists), and one pupil of another county."""
        pupils = list(
            Child.objects.filter(
                current_school__township=township,
                status=EnrollmentStatus.IN_SCHOOL,
                has_no_resident_id=False,
            )
            .select_related("current_school")
            .order_by("current_school__code", "grade", "name", "pk")
        )
        rows = []
        for index, child in enumerate(pupils):
            status = {3: "休学", 7: "休学", 11: "转出"}.get(index, "在籍")
            rows.append(
                roster_row(
                    child,
                    school=child.current_school,
                    grade=child.grade or 1,
                    class_name=child.class_name or "1班",
                    status=status,
                )
            )
        if pupils:
            stranger = make_resident_id(
                place_code="510199",
                birth_date=datetime.date(timezone.localdate().year - 10, 3, 3),
                sequence=7,
                sex="M",
            )
            rows.append(
                [
                    "G" + stranger,
                    "外县生",
                    stranger,
                    pupils[0].current_school.code,
                    "四年级",
                    "1班",
                    "在籍",
                ]
            )
        write_sheet(path, ROSTER_HEADERS, rows, title=f"{township.name}学籍花名册")

    # The registers' spelling of each status the demo typed in (建档立卡 households are 脱贫户).
    _REGISTER_WORDS = {
        PovertyStatus.REGISTERED_POOR: "脱贫户",
        PovertyStatus.LIFTED: "脱贫户",
        PovertyStatus.MONITORED: "边缘易致贫户",
        PovertyStatus.LOW_INCOME: "低保",
        PovertyStatus.DESTITUTE: "特困供养",
    }

    def _poverty(self, path, township, county):
        children = list(
            Child.objects.filter(
                village__township=township,
                has_no_resident_id=False,
                household__poverty_status__in=list(self._REGISTER_WORDS),
            )
            .select_related("household")
            .order_by("household__pk", "pk")
        )
        rows, heads = [], set()
        for child in children:
            household = child.household
            register = self._REGISTER_WORDS[household.poverty_status]
            listed_on = household.poverty_registered_on or datetime.date(2021, 6, 1)
            number = household.poverty_registration_number or f"H{household.pk:08d}"
            if household.pk not in heads and household.poverty_registration_number:
                heads.add(household.pk)  # the head: an adult the registry does not hold
                head_id = make_resident_id(
                    place_code=county.code,
                    birth_date=datetime.date(1978, 1 + household.pk % 12, 1 + household.pk % 28),
                    sequence=household.pk % 900,
                    sex="M",
                )
                rows.append(
                    [register, number, household.head_name, household.head_name, head_id, listed_on]
                )
            row = poverty_row(child, register=register, number=number, listed_on=listed_on)
            if not household.poverty_registration_number:
                row[1] = ""  # found by the child's ID
            rows.append(row)
        write_sheet(
            path, POVERTY_HEADERS, rows, title=f"{township.name}脱贫户、监测户、低保、特困名单"
        )

    def _disability(self, path, township, county):
        children = Child.objects.filter(
            village__township=township, has_no_resident_id=False, is_disabled=True
        ).order_by("pk")
        rows = []
        for index, child in enumerate(children):
            category = child.disability_category or list(DISABILITY_CATEGORY_DIGITS)[index % 7]
            rows.append(disability_row(child, category=category, grade=child.disability_grade or 3))
        adult = make_resident_id(
            place_code=county.code, birth_date=datetime.date(1969, 5, 5), sequence=321, sex="F"
        )
        rows.append(["张成人", adult + "42", adult, "肢体", "二级"])
        write_sheet(path, DISABILITY_HEADERS, rows, title=f"{township.name}残疾人证名单")
