"""One fictional county, built in bulk: places, schools, households, children with valid resident
IDs, a realistic status mix with dated history, visits and help pairings."""

import datetime
import math
import random
from collections import defaultdict

from django.apps import apps
from django.utils import timezone

from core.bulk_copy import copy_insert
from core.resident_id import make_resident_id

from ..models import (
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
from ..selectors import IN_CLASS_STATUSES, age_on_reference, age_reference_date, school_year_of
from .data import (
    COUNTY_NAMES,
    DEMO_COUNTY_CODE,
    DEMO_PROVINCE,
    DEMO_REASON,
    GIVEN,
    RELATIONS,
    SURNAMES,
    TOWNSHIP_NAMES,
    VILLAGE_STEMS,
    VILLAGE_SUFFIXES,
    VISITORS,
    Scale,
)

S = EnrollmentStatus
# One child in this many is a minor involved in a legal case (涉案未成年人).
CASE_FLAG_EVERY = 250
# A school's grade is split into classes of about this many pupils; the two largest grades of
# the county each open with one class over the thresholds (大班额 56, 超大班额 66 by default),
# with a margin for the pupils the other demo loaders move.
DEMO_CLASS_SIZE = 45
DEMO_LARGE_CLASS = 60
DEMO_OVERSIZED_CLASS = 72


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
        # Birth dates count back from the school year's age reference (31 August), not from
        # today: the demo's children, and so their resident IDs, are the same on every day of
        # a school year, and the shipped example files (make_import_examples) keep matching.
        self.birth_anchor = age_reference_date(self.today)
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
        self.township_of_village = {village.pk: village.township_id for village in self.villages}

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
        self.school_names = {school.pk: school.name for school in schools}

    # --- households and children -------------------------------------------------------------
    # Rows are plain dicts written with COPY (core.bulk_copy): model instances and bulk_create
    # cost more than the database at 150,000 children. Each child's statuses are decided before
    # the child is written, so the child row goes in once with its current status.
    def _resident_id(self, birth_date, sex) -> str:
        key = (birth_date, sex)
        sequence = self.id_sequence.get(key, 0)
        self.id_sequence[key] = sequence + 1
        return make_resident_id(
            place_code=self.county_code, birth_date=birth_date, sequence=sequence, sex=sex
        )

    def build_people(self, actor):
        rng = self.rng
        households, members = [], []
        for village_index, village in enumerate(self.villages):
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
                households.append(
                    {
                        "village_id": village.pk,
                        "head_name": head,
                        "address": f"{village.township.name}{village.name}"
                        f"{rng.randint(1, 12)}组{rng.randint(1, 99)}号",
                        "poverty_status": poverty,
                        "poverty_registration_number": (
                            f"{village.code}{rng.randint(1000, 9999)}"
                            if poverty != PovertyStatus.NONE
                            else ""
                        ),
                        "poverty_registered_on": (
                            datetime.date(rng.randint(2015, 2023), 6, 30)
                            if poverty != PovertyStatus.NONE
                            else None
                        ),
                    }
                )
                count = min(remaining, rng.choices([1, 2, 3], weights=[45, 40, 15])[0])
                remaining -= count
                left_behind = rng.random() < 0.12
                for _ in range(count):
                    members.append((len(households) - 1, village_index, left_behind))
        household_ids = copy_insert(
            Household, households, history_user=actor, history_reason=DEMO_REASON
        )

        children, village_order = [], []
        for household_index, village_index, left_behind in members:
            household = households[household_index]
            age_days = rng.randint(3 * 365 + 10, 18 * 365)
            birth_date = self.birth_anchor - datetime.timedelta(days=age_days)
            sex = rng.choice("MF")
            unregistered = rng.random() < 0.003
            disabled = rng.random() < 0.015
            children.append(
                {
                    "resident_id": None if unregistered else self._resident_id(birth_date, sex),
                    "has_no_resident_id": unregistered,
                    "name": household["head_name"][0] + _name(rng)[1:],
                    "sex": sex,
                    "birth_date": birth_date,
                    "household_id": household_ids[household_index],
                    "village_id": household["village_id"],
                    "guardian_name": household["head_name"],
                    "guardian_relation": rng.choice(RELATIONS),
                    "guardian_phone": f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                    "is_left_behind": left_behind,
                    "is_disabled": disabled,
                    "disability_category": rng.choice(
                        ["intellectual", "physical", "hearing", "visual"]
                    )
                    if disabled
                    else "",
                    "disability_grade": rng.randint(1, 4) if disabled else None,
                    "is_orphan": rng.random() < 0.005,
                    "is_in_difficulty": rng.random() < 0.01,
                    "is_migrant": rng.random() < 0.02,
                    # 涉案未成年人: a few children in every township, drawn without the random
                    # generator so that every other draw stays what it was.
                    "is_involved_in_case": len(children) % CASE_FLAG_EVERY == CASE_FLAG_EVERY // 2,
                }
            )
            village_order.append(village_index)
        # The statuses below are drawn in Child's default ordering (village, name, id), as
        # when the children were read back from the database to draw them.
        order = sorted(
            range(len(children)), key=lambda i: (village_order[i], children[i]["name"], i)
        )
        self.children = children  # in the order they are written (their ids)
        self.in_order = [children[i] for i in order]

    # --- statuses with dated history ---------------------------------------------------------
    def _school_for(self, child, grade):
        if grade >= 10:
            return self.senior
        if grade <= 6:
            return self.primary_of_village[child["village_id"]]
        return self.junior_of[self.township_of_village[child["village_id"]]]

    def build_statuses(self, actor):
        """Each child's status history (one or two dated changes); then the children are written
        with their current status, and the changes after them."""
        rng, year = self.rng, self.school_year
        changes = []  # (child, change row)

        def add(child, status, date, reason, school=None, grade=None, **extra):
            # Pupils of boarding schools from grade 4 up board, as most rural boarders do.
            extra.setdefault(
                "is_boarder", bool(school and school.is_boarding and (grade or 0) >= 4)
            )
            effective = min(date, self.today)
            class_name = f"{rng.randint(1, 4)}班" if school and grade else ""
            changes.append(
                (
                    child,
                    {
                        "status": status,
                        "previous_status": child.get("status", ""),
                        "effective_date": effective,
                        "school_id": school.pk if school else None,
                        "grade": grade,
                        "class_name": class_name,
                        "reason": reason,
                        "recorded_by_id": actor.pk,
                        **extra,
                    },
                )
            )
            child.update(
                status=status,
                status_since=effective,
                current_school_id=school.pk if school else None,
                grade=grade,
                class_name=class_name,
                is_inclusive=extra.get("is_inclusive", False),
                is_boarder=extra["is_boarder"],
                outside_school_name=extra.get("outside_school_name", ""),
                outside_verified=extra.get("outside_verified", False),
            )

        for child in self.in_order:
            birth_date = child["birth_date"]
            age = age_on_reference(birth_date, self.today)
            if age < 6:
                add(child, S.NOT_SCHOOL_AGE, birth_date, "户籍登记")
                continue
            grade = min(age - 5, 12)
            # Entered the current school at the start of its stage (or three years ago at most).
            stage_first = 1 if grade <= 6 else (7 if grade <= 9 else 10)
            entered = _sept_first(max(year - (grade - stage_first), year - 3))
            school = self._school_for(child, grade)
            if age >= 16 and rng.random() < 0.35:
                # On the junior school's roll in grade 9 from its September, graduated in July.
                graduated = year - (age - 15)
                add(
                    child,
                    S.IN_SCHOOL,
                    _sept_first(graduated - 1),
                    "学籍注册",
                    self._school_for(child, 9),
                    9,
                )
                add(child, S.GRADUATED, datetime.date(graduated, 7, 1), "初中毕业")
                continue
            roll = rng.random()
            if child["is_disabled"] and child["disability_grade"] <= 2:
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
                        self.primary_of_village[child["village_id"]],
                        min(grade, 9),
                    )
                continue
            # Never enrolled (失学) and deferred before grade 1 (延缓入学): never on a roll, so no
            # roll entry; the class is drawn all the same, so every later draw stays what it was.
            never_on_roll = age <= 15 and (
                0.012 <= roll < 0.014 or (0.036 <= roll < 0.037 and age == 6)
            )
            if never_on_roll:
                rng.randint(1, 4)
            else:
                add(
                    child,
                    S.IN_SCHOOL,
                    entered,
                    "学籍注册",
                    school,
                    grade,
                    is_inclusive=child["is_disabled"],
                )
            if age > 15:
                continue
            # A change off the roll happens after the child entered it (and not in the future):
            # a day drawn before the entry (a first grader's dropout in the spring before its
            # first September) is folded into the days since the entry.
            moment = self.today - datetime.timedelta(days=rng.randint(20, 400))
            since_entry = (self.today - entered).days
            if moment <= entered and not never_on_roll:
                days = 1 + (entered - moment).days % since_entry if since_entry else 0
                moment = entered + datetime.timedelta(days=days)
            if roll < 0.006:
                add(child, S.DROPPED_OUT, moment, "连续缺课超过30天，外出务工")
            elif roll < 0.009:
                add(
                    child,
                    S.SUSPECTED_DROPOUT,
                    max(self.today - datetime.timedelta(days=10), entered),
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
        self.arrange_classes(changes)
        child_ids = copy_insert(
            Child, self.children, history_user=actor, history_reason=DEMO_REASON
        )
        for child, child_id in zip(self.children, child_ids, strict=True):
            child["id"] = child_id
        copy_insert(
            EnrollmentStatusChange,
            [{**change, "child_id": child["id"]} for child, change in changes],
            return_ids=False,
        )

    def arrange_classes(self, changes):
        """Split each school's grade into classes of about DEMO_CLASS_SIZE (the class drawn for
        each pupil stays drawn, so the random sequence does not move); then the county's largest
        compulsory-education grade opens with a 超大班额 class and the second largest with a
        大班额 class, so that the overview always has one of each. The pupil's latest placement
        in its history says the same class as the pupil."""
        placed = {}  # the change that gave each pupil its current class
        for child, change in changes:
            if change["class_name"]:
                placed[id(child)] = change
        grades = defaultdict(list)
        for child in self.in_order:
            if child.get("status") in IN_CLASS_STATUSES and child["class_name"]:
                grades[(child["current_school_id"], child["grade"])].append(child)
        compulsory = [key for key in grades if key[1] <= 9]
        largest = sorted(compulsory, key=lambda key: (-len(grades[key]), key))[:2]
        opening = dict(zip(largest, (DEMO_OVERSIZED_CLASS, DEMO_LARGE_CLASS), strict=False))
        for key, pupils in grades.items():
            first = opening.get(key, 0)
            if first > len(pupils):
                first = 0
            others = len(pupils) - first
            count = max(1, math.ceil(others / DEMO_CLASS_SIZE))
            names = ["1班"] * first + [
                f"{(1 if first else 0) + index % count + 1}班" for index in range(others)
            ]
            for child, name in zip(pupils, names, strict=True):
                child["class_name"] = name
                placed[id(child)]["class_name"] = name

    def build_visits_and_pairings(self, actor):
        rng = self.rng
        out = [
            c
            for c in self.in_order
            if c["status"] in (S.DROPPED_OUT, S.NEVER_ENROLLED, S.SUSPECTED_DROPOUT)
        ]
        visit_ids = copy_insert(
            HouseholdVisit,
            [
                {
                    "visit_date": child["status_since"],
                    "household_id": child["household_id"],
                    "visitors": (visitors := rng.choice(VISITORS)),
                    "teacher_visitors": visitors.count("教师"),
                    "findings": "家长表示孩子在外务工"
                    if child["status"] == S.DROPPED_OUT
                    else "孩子在家，未到校",
                    "outcome": HouseholdVisit.Outcome.WORKING_AWAY
                    if child["status"] == S.DROPPED_OUT
                    else HouseholdVisit.Outcome.AT_HOME,
                    "follow_up": "一周后再次劝返",
                    "recorded_by_id": actor.pk,
                }
                for child in out
            ],
            history_user=actor,
            history_reason=DEMO_REASON,
        )
        _add_visit_children(
            [(visit_id, child["id"]) for visit_id, child in zip(visit_ids, out, strict=True)]
        )
        focus = [
            c
            for c in self.in_order
            if c["status"] == S.IN_SCHOOL
            and (
                c["is_orphan"] or c["is_in_difficulty"] or (c["is_disabled"] and rng.random() < 0.5)
            )
        ]
        copy_insert(
            HelpPairing,
            [
                {
                    "child_id": c["id"],
                    "partner_name": _name(rng),
                    "partner_kind": "teacher",
                    "partner_unit": self.school_names.get(c["current_school_id"], ""),
                    "plan": "每月家访一次，学业辅导每周两次，落实资助政策。",
                    "start_date": c["status_since"],
                    "assigned_by_id": actor.pk,
                }
                for c in focus
            ],
            history_user=actor,
            history_reason=DEMO_REASON,
            return_ids=False,
        )


def _add_visit_children(pairs: list[tuple[int, int]]) -> None:
    """The visits' children, and the same links in the visits' history (as `visit.children.add`
    would record them, here against each visit's "created" history row)."""
    if not pairs:
        return
    Through = HouseholdVisit.children.through
    copy_insert(
        Through,
        [{"householdvisit_id": visit_id, "child_id": child_id} for visit_id, child_id in pairs],
        return_ids=False,
    )
    visit_ids = [visit_id for visit_id, _child_id in pairs]
    history_of = dict(
        HouseholdVisit.history.filter(id__in=visit_ids).values_list("id", "history_id")
    )
    links = Through.objects.filter(householdvisit_id__in=visit_ids).values_list(
        "pk", "householdvisit_id", "child_id"
    )
    copy_insert(
        apps.get_model("enrollment", "HistoricalHouseholdVisit_children"),
        [
            {
                "id": link_id,
                "history_id": history_of[visit_id],
                "householdvisit_id": visit_id,
                "child_id": child_id,
            }
            for link_id, visit_id, child_id in links
        ],
        return_ids=False,
    )
