"""A fictional county (云溪县) for the demo and the tests: places, schools, households, children
with valid resident IDs, a realistic status mix with dated history, visits and help pairings.

Deterministic (seeded random) and idempotent: an existing county with the demo code is left alone.
Rows are written with bulk_create, so loading does not pass through the services one by one.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.resident_id import make_resident_id

from .models import (
    Child,
    County,
    EnrollmentStatus,
    EnrollmentStatusChange,
    HelpPairing,
    Household,
    HouseholdVisit,
    PovertyStatus,
    School,
    Township,
    Village,
)
from .roles import Role
from .selectors import age_on_reference, school_year_of
from .services import grant_role

S = EnrollmentStatus
DEMO_COUNTY_CODE = "519901"
DEMO_PROVINCE = "51"
DEMO_PASSWORD = "Demo-County-2026"

TOWNSHIP_NAMES = [
    "城关镇",
    "清溪镇",
    "石桥乡",
    "白云乡",
    "河口镇",
    "青龙乡",
    "双河镇",
    "马鞍乡",
    "桃园乡",
    "龙泉镇",
    "新华乡",
    "金沙镇",
]
VILLAGE_SUFFIXES = ["村", "村", "村", "社区"]
VILLAGE_STEMS = [
    "红星",
    "柏林",
    "花园",
    "石板",
    "大坪",
    "高峰",
    "新民",
    "和平",
    "团结",
    "光明",
    "长滩",
    "竹林",
    "杨柳",
    "黄桷",
    "凉水",
    "白果",
    "双龙",
    "永安",
    "复兴",
    "民主",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "子一欣雨梓浩宇轩涵晨思佳俊杰明阳琳瑶博文嘉诗怡睿泽航婷馨悦然锦程昊天雅静"
RELATIONS = ["父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母"]
VISITORS = ["乡镇干部 李明、村干部 王芳", "乡镇干部 陈刚、教师 赵丽", "村干部 刘强、教师 周敏"]


@dataclass
class Scale:
    townships: int
    villages_per_township: int
    children_per_village: int
    village_primaries_per_township: int = 0  # besides the township's central primary school
    townships_per_junior: int = 2
    counties: int = 1
    name: str = ""  # the key in SCALES, set below; demo loaders size their data by it


SCALES = {
    "demo": Scale(townships=6, villages_per_township=7, children_per_village=90),
    # DESIGN.md's large county: 25 townships, 300 villages, ~200 schools, ~150,000 children.
    "county": Scale(
        townships=25,
        villages_per_township=12,
        children_per_village=500,
        village_primaries_per_township=6,
    ),
    "city": Scale(
        townships=25,
        villages_per_township=12,
        children_per_village=500,
        village_primaries_per_township=6,
        counties=10,
    ),
}
for _name, _scale in SCALES.items():
    _scale.name = _name

COUNTY_NAMES = [
    "云溪县",
    "青石县",
    "白河县",
    "红岩县",
    "金川县",
    "龙溪县",
    "桃源县",
    "松林县",
    "平安县",
    "长乐县",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _sept_first(year: int) -> datetime.date:
    return datetime.date(year, 9, 1)


class DemoCounty:
    def __init__(
        self,
        scale: Scale,
        *,
        county_index: int = 0,
        seed: int = 2026,
        today: datetime.date | None = None,
    ):
        self.scale = scale
        self.county_index = county_index
        self.county_code = f"{int(DEMO_COUNTY_CODE) + county_index}"
        self.county_name = COUNTY_NAMES[county_index % len(COUNTY_NAMES)]
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.school_year = school_year_of(self.today)
        self.id_sequence: dict[tuple, int] = {}

    # --- places and schools ------------------------------------------------------------------
    def build_places(self):
        self.county = County.objects.create(code=self.county_code, name=self.county_name)
        self.townships, self.villages = [], []
        for index in range(self.scale.townships):
            name = TOWNSHIP_NAMES[index % len(TOWNSHIP_NAMES)]
            if index >= len(TOWNSHIP_NAMES):
                name = f"{name[:-1]}{index // len(TOWNSHIP_NAMES) + 1}{name[-1]}"
            township = Township.objects.create(
                county=self.county,
                code=f"{self.county_code}{100 + index:03d}",
                name=name,
                document_prefix=f"{name}教字",
            )
            self.townships.append(township)
            for number in range(self.scale.villages_per_township):
                stem = VILLAGE_STEMS[(index * 3 + number) % len(VILLAGE_STEMS)]
                suffix = VILLAGE_SUFFIXES[number % len(VILLAGE_SUFFIXES)]
                repeat = "" if number < len(VILLAGE_STEMS) else str(number // len(VILLAGE_STEMS))
                self.villages.append(
                    Village(
                        township=township,
                        code=f"{township.code}{200 + number:03d}",
                        name=f"{stem}{repeat}{suffix}",
                    )
                )
        Village.objects.bulk_create(self.villages)
        self.villages = list(
            Village.objects.filter(township__county=self.county).select_related("township")
        )

        serial = iter(range(self.county_index * 10_000 + 1, 10**6))
        schools = []
        self.primary_of_village, self.junior_of = {}, {}
        for index, township in enumerate(self.townships):
            villages = [v for v in self.villages if v.township_id == township.pk]
            primaries = [
                School(
                    code=f"21{DEMO_PROVINCE}{next(serial):06d}",
                    name=f"{township.name}中心小学"
                    if number == 0
                    else f"{township.name}{villages[number].name}小学",
                    township=township,
                    village=villages[number],
                    stage=School.Stage.PRIMARY,
                    is_rural=index > 0,
                    is_boarding=index % 2 == 1 and number == 0,
                )
                for number in range(1 + self.scale.village_primaries_per_township)
            ]
            schools += primaries
            for number, village in enumerate(villages):
                self.primary_of_village[village.pk] = primaries[number % len(primaries)]
            if index % self.scale.townships_per_junior == 0:
                junior = School(
                    code=f"31{DEMO_PROVINCE}{next(serial):06d}",
                    name=f"{township.name}中学",
                    township=township,
                    village=villages[0],
                    stage=School.Stage.JUNIOR,
                    is_rural=index > 0,
                    is_boarding=True,
                )
                schools.append(junior)
            self.junior_of[township.pk] = junior
        seat = self.townships[0]
        self.senior = School(
            code=f"34{DEMO_PROVINCE}{next(serial):06d}",
            name=f"{self.county_name}第一中学",
            township=seat,
            stage=School.Stage.SENIOR,
            is_rural=False,
            is_boarding=True,
        )
        self.special = School(
            code=f"51{DEMO_PROVINCE}{next(serial):06d}",
            name=f"{self.county_name}特殊教育学校",
            township=seat,
            stage=School.Stage.SPECIAL,
            is_rural=False,
            is_boarding=True,
        )
        schools += [self.senior, self.special]
        School.objects.bulk_create(schools)
        self.schools = schools

    # --- households and children -------------------------------------------------------------
    def _resident_id(self, birth_date, sex) -> str:
        key = (birth_date, sex)
        sequence = self.id_sequence.get(key, 0)
        self.id_sequence[key] = sequence + 1
        return make_resident_id(
            place_code=self.county_code, birth_date=birth_date, sequence=sequence, sex=sex
        )

    def build_people(self):
        rng = self.rng
        households, children = [], []
        for village in self.villages:
            remaining = self.scale.children_per_village
            while remaining > 0:
                poverty = rng.choices(
                    [
                        PovertyStatus.NONE,
                        PovertyStatus.LIFTED,
                        PovertyStatus.MONITORED,
                        PovertyStatus.LOW_INCOME,
                        PovertyStatus.DESTITUTE,
                    ],
                    weights=[86, 8, 2, 3, 1],
                )[0]
                head = _name(rng)
                household = Household(
                    village=village,
                    head_name=head,
                    address=f"{village.township.name}{village.name}{rng.randint(1, 12)}组"
                    f"{rng.randint(1, 99)}号",
                    poverty_status=poverty,
                    poverty_registration_number=(
                        f"{village.code}{rng.randint(1000, 9999)}"
                        if poverty != PovertyStatus.NONE
                        else ""
                    ),
                    poverty_registered_on=(
                        datetime.date(rng.randint(2015, 2023), 6, 30)
                        if poverty != PovertyStatus.NONE
                        else None
                    ),
                )
                households.append(household)
                count = min(remaining, rng.choices([1, 2, 3], weights=[45, 40, 15])[0])
                remaining -= count
                left_behind = rng.random() < 0.12
                for _ in range(count):
                    children.append((household, village, left_behind))
        Household.objects.bulk_create(households, batch_size=2000)

        rows = []
        for household, village, left_behind in children:
            age_days = rng.randint(3 * 365 + 10, 18 * 365)
            birth_date = self.today - datetime.timedelta(days=age_days)
            sex = rng.choice("MF")
            unregistered = rng.random() < 0.003
            disabled = rng.random() < 0.015
            guardian = household.head_name
            rows.append(
                Child(
                    resident_id=None if unregistered else self._resident_id(birth_date, sex),
                    has_no_resident_id=unregistered,
                    name=household.head_name[0] + _name(rng)[1:],
                    sex=sex,
                    birth_date=birth_date,
                    household=household,
                    village=village,
                    guardian_name=guardian,
                    guardian_relation=rng.choice(RELATIONS),
                    guardian_phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                    is_left_behind=left_behind,
                    is_disabled=disabled,
                    disability_category=rng.choice(
                        ["intellectual", "physical", "hearing", "visual"]
                    )
                    if disabled
                    else "",
                    disability_grade=rng.randint(1, 4) if disabled else None,
                    is_orphan=rng.random() < 0.005,
                    is_in_difficulty=rng.random() < 0.01,
                    is_migrant=rng.random() < 0.02,
                )
            )
        Child.objects.bulk_create(rows, batch_size=2000)
        self.children = list(
            Child.objects.filter(village__township__county=self.county).select_related("village")
        )

    # --- statuses with dated history ---------------------------------------------------------
    def _school_for(self, child, grade):
        if grade >= 10:
            return self.senior
        if grade <= 6:
            return self.primary_of_village[child.village_id]
        return self.junior_of[child.village.township_id]

    def build_statuses(self, actor):
        rng, year = self.rng, self.school_year
        changes = []

        def add(child, status, date, reason, school=None, grade=None, **extra):
            # Pupils of boarding schools from grade 4 up board, as most rural boarders do.
            extra.setdefault(
                "is_boarder", bool(school and school.is_boarding and (grade or 0) >= 4)
            )
            changes.append(
                EnrollmentStatusChange(
                    child=child,
                    status=status,
                    effective_date=min(date, self.today),
                    school=school,
                    grade=grade,
                    class_name=f"{rng.randint(1, 4)}班" if school and grade else "",
                    reason=reason,
                    recorded_by=actor,
                    **extra,
                )
            )
            child.status, child.status_since = status, min(date, self.today)
            child.current_school, child.grade = school, grade
            child.class_name = changes[-1].class_name
            child.is_inclusive = extra.get("is_inclusive", False)
            child.is_boarder = extra["is_boarder"]
            child.outside_school_name = extra.get("outside_school_name", "")
            child.outside_verified = extra.get("outside_verified", False)

        for child in self.children:
            age = age_on_reference(child.birth_date, self.today)
            if age < 6:
                add(child, S.NOT_SCHOOL_AGE, child.birth_date, "户籍登记")
                continue
            grade = min(age - 5, 12)
            # Entered the current school at the start of its stage (or three years ago at most).
            stage_first = 1 if grade <= 6 else (7 if grade <= 9 else 10)
            entered = _sept_first(max(year - (grade - stage_first), year - 3))
            school = self._school_for(child, grade)
            if age >= 16 and rng.random() < 0.35:
                add(child, S.IN_SCHOOL, entered, "学籍注册", self._school_for(child, 9), 9)
                add(child, S.GRADUATED, datetime.date(year - (age - 15), 7, 1), "初中毕业")
                continue
            roll = rng.random()
            if child.is_disabled and child.disability_grade and child.disability_grade <= 2:
                if roll < 0.5:
                    add(
                        child,
                        S.SPECIAL_SCHOOL,
                        entered,
                        "残疾儿童评估安置：特校就读",
                        self.special,
                        min(grade, 9),
                    )
                else:
                    add(
                        child,
                        S.HOME_DELIVERED,
                        entered,
                        "残疾儿童评估安置：送教上门",
                        self.primary_of_village[child.village_id],
                        min(grade, 9),
                    )
                continue
            add(
                child,
                S.IN_SCHOOL,
                entered,
                "学籍注册",
                school,
                grade,
                is_inclusive=child.is_disabled,
            )
            if age > 15:
                continue
            moment = self.today - datetime.timedelta(days=rng.randint(20, 400))
            if roll < 0.006:
                add(child, S.DROPPED_OUT, moment, "连续缺课超过30天，外出务工")
            elif roll < 0.009:
                add(
                    child,
                    S.SUSPECTED_DROPOUT,
                    self.today - datetime.timedelta(days=10),
                    "无故缺课7天以上",
                    school,
                    grade,
                )
            elif roll < 0.012:
                add(child, S.UNVERIFIED, moment, "学籍转出后去向不明")
            elif roll < 0.014:
                add(child, S.NEVER_ENROLLED, moment, "入户核查：未入学")
            elif roll < 0.030:
                verified = rng.random() < 0.8
                add(
                    child,
                    S.OUTSIDE_COUNTY,
                    moment,
                    "随父母外出，在县外就读",
                    outside_school_name="某市实验学校",
                    outside_verified=verified,
                )
            elif roll < 0.034:
                add(child, S.SUSPENDED, moment, "因病休学（经乡镇批准、县教育局备案）")
            elif roll < 0.036:
                add(child, S.MOVED_AWAY, moment, "户籍迁出本县")
            elif roll < 0.037 and age == 6:
                add(child, S.DEFERRED, _sept_first(year), "因病延缓入学（经批准备案）")
        EnrollmentStatusChange.objects.bulk_create(changes, batch_size=5000)
        Child.objects.bulk_update(
            self.children,
            [
                "status",
                "status_since",
                "current_school",
                "grade",
                "class_name",
                "is_inclusive",
                "is_boarder",
                "outside_school_name",
                "outside_verified",
            ],
            batch_size=2000,
        )

    def build_visits_and_pairings(self, actor):
        rng = self.rng
        out = [
            c
            for c in self.children
            if c.status in (S.DROPPED_OUT, S.NEVER_ENROLLED, S.SUSPECTED_DROPOUT)
        ]
        for child in out:
            visit = HouseholdVisit.objects.create(
                visit_date=child.status_since,
                household_id=child.household_id,
                visitors=rng.choice(VISITORS),
                findings="家长表示孩子在外务工"
                if child.status == S.DROPPED_OUT
                else "孩子在家，未到校",
                outcome=HouseholdVisit.Outcome.WORKING_AWAY
                if child.status == S.DROPPED_OUT
                else HouseholdVisit.Outcome.AT_HOME,
                follow_up="一周后再次劝返",
                recorded_by=actor,
            )
            visit.children.add(child)
        focus = [
            c
            for c in self.children
            if c.status == S.IN_SCHOOL
            and (c.is_orphan or c.is_in_difficulty or (c.is_disabled and rng.random() < 0.5))
        ]
        HelpPairing.objects.bulk_create(
            [
                HelpPairing(
                    child=c,
                    partner_name=_name(rng),
                    partner_kind="teacher",
                    partner_unit=(c.current_school.name if c.current_school else ""),
                    plan="每月家访一次，学业辅导每周两次，落实资助政策。",
                    start_date=c.status_since,
                    assigned_by=actor,
                )
                for c in focus
            ]
        )


DEMO_USERS = [
    ("admin", Role.COUNTY_ADMIN, "county"),
    ("bureau", Role.BUREAU_STAFF, "county"),
    ("township1", Role.TOWNSHIP_OFFICIAL, "township1"),
    ("township2", Role.TOWNSHIP_OFFICIAL, "township2"),
    ("village1", Role.VILLAGE_CADRE, "village1"),
    ("school1", Role.SCHOOL_STAFF, "school1"),
    ("inspector", Role.INSPECTOR, "county"),
    ("auditor", Role.AUDITOR, "county"),
]


def ensure_demo_users(county: County) -> list[tuple[str, str, str]]:
    """One user per role; passwords reset to the demo password on every run."""
    township1, township2 = county.townships.order_by("code")[:2]
    places = {
        "county": county,
        "township1": township1,
        "township2": township2,
        "village1": township1.villages.order_by("code").first(),
        "school1": township1.schools.filter(stage=School.Stage.PRIMARY).order_by("code").first(),
    }
    user_model = get_user_model()
    created = []
    for username, role, place_key in DEMO_USERS:
        user, _ = user_model.objects.get_or_create(username=username)
        user.set_password(DEMO_PASSWORD)
        user.save()
        grant_role(user=user, role=role, place=places[place_key])
        created.append((username, Role(role).label, places[place_key].name))
    return created


def load_demo(scale_name: str = "demo", *, progress=None) -> tuple[County, bool]:
    """Build the demo county (and, at city scale, nine more); the first county is returned.
    Each county is loaded in its own transaction."""
    existing = County.objects.filter(code=DEMO_COUNTY_CODE).first()
    if existing:
        return existing, False
    scale = SCALES[scale_name]
    user_model = get_user_model()
    loader, _ = user_model.objects.get_or_create(
        username="data-loader", defaults={"is_active": False}
    )
    first = None
    for county_index in range(scale.counties):
        with transaction.atomic():
            builder = DemoCounty(scale, county_index=county_index)
            builder.build_places()
            builder.build_people()
            builder.build_statuses(loader)
            builder.build_visits_and_pairings(loader)
        first = first or builder.county
        if progress:
            progress(f"{builder.county.name}: {len(builder.children)} children")
        del builder
    return first, True


def demo_accounts(county: County) -> dict:
    """The demo users by username, plus each township official under
    "township_official:<township id>" (for the modules' demo loaders)."""
    user_model = get_user_model()
    accounts = {
        user.username: user
        for user in user_model.objects.filter(
            username__in=[username for username, _role, _place in DEMO_USERS]
        )
    }
    for username in ("township1", "township2"):
        assignment = accounts[username].role_assignments.first()
        accounts[f"township_official:{assignment.township_id}"] = accounts[username]
    return accounts
