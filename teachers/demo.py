"""Demo data of the teacher workforce: every school staffed near its quota with some vacancies
(and a few over quota), special-post cohorts (one due for conversion this year, part of it
converted), exchanges, allowance batches (one month with some rural teachers left unpaid) and
trainings. Teachers are bulk-inserted (≈5,000 at county scale in seconds); the steps whose
rules matter (exchanges, conversions, batches, payments) go through the services."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.bulk_copy import copy_insert
from core.errors import DomainError
from core.resident_id import make_resident_id
from core.services import add_years
from enrollment.demo import GIVEN, SURNAMES
from enrollment.models import School

from .demo_home_teaching import load_home_teaching_demo
from .models import (
    AllowancePayment,
    AllowanceTier,
    EmploymentRecord,
    Exchange,
    PostType,
    Recruitment,
    SchoolRemoteness,
    Subject,
    Teacher,
    Title,
    TrainingAttendance,
    TrainingEvent,
)
from .selectors import period_end, staffing_of
from .services import allowances, exchanges, teachers, trainings

SUBJECTS_BY_STAGE = {
    "primary": [
        "chinese",
        "mathematics",
        "english",
        "morality_law",
        "science",
        "music",
        "pe",
        "art",
    ],
    "junior": [
        "chinese",
        "mathematics",
        "english",
        "physics",
        "chemistry",
        "biology",
        "history",
        "geography",
        "morality_law",
        "pe",
        "it",
    ],
    "senior": ["chinese", "mathematics", "english", "physics", "chemistry", "politics", "history"],
    "special": ["special", "chinese", "mathematics", "labour"],
    "preschool": ["preschool"],
    "vocational": ["vocational", "chinese", "mathematics"],
}
TIERS = [
    ("一类艰苦边远", 1, Decimal("500.00")),
    ("二类", 2, Decimal("400.00")),
    ("三类", 3, Decimal("300.00")),
]


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _main_stage(school: School) -> str:
    return {
        School.Stage.PRIMARY: "primary",
        School.Stage.NINE_YEAR: "primary",
        School.Stage.JUNIOR: "junior",
        School.Stage.COMPLETE_SECONDARY: "junior",
        School.Stage.SENIOR: "senior",
        School.Stage.SPECIAL: "special",
        School.Stage.PRESCHOOL: "preschool",
        School.Stage.VOCATIONAL: "vocational",
    }[school.stage]


@transaction.atomic
def load_teachers_demo(county, users, scale=None) -> str:
    if Teacher.objects.filter(school__township__county=county).exists():
        return "teachers demo already present"
    rng = random.Random(6)
    actor = users["admin"]
    today = timezone.localdate()
    year = today.year
    subjects = {subject.code: subject for subject in Subject.objects.all()}
    schools_qs = School.objects.filter(township__county=county)
    table = staffing_of(schools_qs, day=today)

    # --- teachers, bulk ----------------------------------------------------------------------
    id_sequence: dict = defaultdict(int)
    built: list[tuple[dict, list[str]]] = []  # (attributes, subject codes)
    this_year_hire = max(datetime.date(year, 1, 2), min(datetime.date(year, 8, 25), today))
    for index, row in enumerate(table.rows):
        school = row.school
        quota = max(row.quota, 3)
        shortfall = rng.choice((0, 0, 1, 1, 2, 3)) if index % 3 else 0
        if index % 11 == 5:
            shortfall = -1  # a school over quota
        headcount = max(quota - shortfall, 2)
        stage = _main_stage(school)
        for number in range(headcount):
            roll = rng.random()
            sex = rng.choice("MF")
            birth = datetime.date(rng.randint(1966, 2001), rng.randint(1, 12), rng.randint(1, 28))
            key = (birth, sex)
            id_sequence[key] += 1
            resident_id = make_resident_id(
                place_code=county.code, birth_date=birth, sequence=id_sequence[key], sex=sex
            )
            earliest_hire = max(birth.year + 21, 1988)
            hire_year = rng.randint(earliest_hire, max(earliest_hire, year - 1))
            hire = datetime.date(hire_year, 8, 25)
            post, recruitment, special = PostType.REGULAR, Recruitment.OPEN, ""
            if school.is_rural and roll < 0.14:
                # Special-post cohorts of the last three years; the oldest is due this year.
                cohort = year - 3 + (number % 3)
                hire = datetime.date(cohort, 8, 25)
                post, recruitment, special = (
                    PostType.SPECIAL_POST,
                    Recruitment.SPECIAL_POST_PLAN,
                    Teacher.SpecialPostStatus.SERVING,
                )
            elif roll < 0.19:
                post, recruitment = PostType.SUBSTITUTE, Recruitment.OTHER
            elif roll < 0.22:
                hire = this_year_hire  # this year's recruits
                recruitment = rng.choice(
                    (Recruitment.OPEN, Recruitment.FREE_NORMAL, Recruitment.TARGETED_RURAL)
                )
            else:
                recruitment = rng.choices(
                    (
                        Recruitment.OPEN,
                        Recruitment.FREE_NORMAL,
                        Recruitment.PUBLICLY_FUNDED,
                        Recruitment.TARGETED_RURAL,
                        Recruitment.OTHER,
                    ),
                    weights=(60, 10, 5, 10, 15),
                )[0]
            if hire > today:
                hire = today - datetime.timedelta(days=30)
            # Most teachers came to this school some years after being hired.
            since = (
                hire
                if rng.random() < 0.5
                else min(add_years(hire, rng.randint(0, max(0, year - hire.year - 1))), today)
            )
            teacher = {
                "resident_id": resident_id,
                "name": _name(rng),
                "sex": sex,
                "birth_date": birth,
                "phone": f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                "school_id": school.pk,
                "school_since": since,
                "title": rng.choice(
                    (Title.NONE, Title.SECOND, Title.SECOND, Title.FIRST, Title.FIRST, Title.SENIOR)
                ),
                "post_type": post,
                "recruitment": recruitment,
                "recruitment_year": hire.year,
                "hire_date": hire,
                "special_post_status": special,
            }
            if special:
                teacher.update(service_years=3, service_end=add_years(hire, 3))
            codes = SUBJECTS_BY_STAGE[stage]
            built.append((teacher, rng.sample(codes, k=min(len(codes), rng.choice((1, 1, 2))))))
    built.extend(_recruits_of_both_years(rng, county, table, today, id_sequence))
    # COPY (bulk_create elsewhere): each teacher with its "created" history row, as before.
    created = copy_insert(Teacher, [teacher for teacher, _ in built], history_user=actor)
    copy_insert(
        Teacher.subjects.through,
        [
            {"teacher_id": teacher_id, "subject_id": subjects[code].pk}
            for teacher_id, (_, codes) in zip(created, built, strict=True)
            for code in codes
        ],
        return_ids=False,
    )
    copy_insert(
        EmploymentRecord,
        [
            {
                "teacher_id": teacher_id,
                "school_id": teacher["school_id"],
                "post_type": teacher["post_type"],
                "start_date": teacher["school_since"],
            }
            for teacher_id, (teacher, _) in zip(created, built, strict=True)
        ],
        return_ids=False,
        write_history=False,  # as bulk_create left none
    )

    # --- special posts: part of the cohort due this year converted, one left -----------------
    due = list(
        Teacher.objects.filter(
            school__township__county=county,
            special_post_status=Teacher.SpecialPostStatus.SERVING,
            service_end__year=year,
        ).order_by("pk")
    )
    converted_on = min(datetime.date(year, 9, 1), today)
    for number, teacher in enumerate(due):
        if number % 3 == 0:
            teachers.convert_special_post(
                actor=actor,
                teacher=teacher,
                converted_on=converted_on,
                decision=f"县人社局、县教育局联合批复〔{year}〕{number // 3 + 1}号",
            )
        elif number % 7 == 1:
            teachers.record_leaving(
                actor=actor,
                teacher=teacher,
                left_on=min(teacher.service_end, today),
                reason="服务期满，考取公务员离岗",
            )

    # Last year's cohort due (recruited four years ago): converted last September.
    for number, teacher in enumerate(
        Teacher.objects.filter(
            school__township__county=county,
            special_post_status=Teacher.SpecialPostStatus.SERVING,
            service_end__year=year - 1,
        ).order_by("pk")
    ):
        teachers.convert_special_post(
            actor=actor,
            teacher=teacher,
            converted_on=datetime.date(year - 1, 9, 1),
            decision=f"县人社局、县教育局联合批复〔{year - 1}〕{number + 1}号",
        )

    # --- exchanges ----------------------------------------------------------------------------
    urban = [row.school for row in table.rows if not row.school.is_rural]
    rural = [row.school for row in table.rows if row.school.is_rural]
    # Drawn by the seeded generator (not the database's random order): the same every load.
    regular = list(
        Teacher.objects.filter(
            school__township__county=county,
            status=Teacher.Status.ACTIVE,
            post_type=PostType.REGULAR,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = rng.sample(regular, k=min(len(regular), max(12, len(created) // 40)))
    by_pk = Teacher.objects.select_related("school__township").in_bulk(chosen)
    candidates = [by_pk[pk] for pk in chosen]
    made_exchanges = 0
    kinds = list(Exchange.Kind.values)
    for number, teacher in enumerate(candidates):
        pool = rural if not teacher.school.is_rural else (urban or rural)
        targets = [school for school in pool if school.pk != teacher.school_id]
        if not targets:
            continue
        if number % 3 == 0:  # current exchange of this school year
            start = datetime.date(year if today.month >= 9 else year - 1, 9, 1)
            end = add_years(start, 1) - datetime.timedelta(days=1)
        elif number % 3 == 1:  # finished earlier this year
            start, end = datetime.date(year, 2, 20), datetime.date(year, 7, 10)
        else:  # last year's
            start, end = datetime.date(year - 1, 3, 1), datetime.date(year - 1, 7, 10)
        if start < teacher.school_since or start > today:
            continue
        kind = (
            Exchange.Kind.URBAN_RURAL
            if teacher.school.is_rural != targets[0].is_rural
            else kinds[number % len(kinds)]
        )
        exchanges.create_exchange(
            actor=actor,
            teacher=teacher,
            to_school=rng.choice(targets),
            kind=kind,
            start_date=start,
            end_date=end,
            note="按县教育局交流轮岗计划",
        )
        made_exchanges += 1

    made_exchanges += _every_kind_both_years(rng, actor, county, candidates, today, urban, rural)

    # --- rural allowance: tiers, six monthly batches, one month with gaps ---------------------
    tiers = [
        AllowanceTier.objects.create(county=county, name=name, rank=rank, monthly_amount=amount)
        for name, rank, amount in TIERS
    ]
    SchoolRemoteness.objects.bulk_create(
        [
            SchoolRemoteness(school=school, tier=tiers[school.township_id % len(tiers)])
            for school in rural
        ]
    )
    month = today.replace(day=1)
    periods = []
    for _ in range(6):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        periods.append(month)
    gap_month = periods[1]
    # Last year's last quarter too: the annual summary of last year has its allowance.
    periods += [
        datetime.date(year - 1, m, 1)
        for m in (10, 11, 12)
        if datetime.date(year - 1, m, 1) not in periods
    ]
    periods.sort(reverse=True)
    for period in reversed(periods):
        try:
            batch = allowances.create_batch(actor=actor, county=county, period=period)
        except DomainError:  # a county without rural teachers has nobody to pay
            continue
        count = batch.payments.count()
        if period == gap_month and count > 1:
            # A few rural teachers left out of this month's batch: the unpaid list shows them.
            lines = list(batch.payments.order_by("pk").values_list("pk", flat=True))
            left_out = rng.sample(lines, k=min(max(1, count // 25), count - 1))
            AllowancePayment.objects.filter(pk__in=left_out).delete()
        paid_on = min(period_end(period) + datetime.timedelta(days=5), today)
        allowances.mark_batch_paid(actor=actor, batch=batch, paid_on=paid_on)

    # --- trainings -----------------------------------------------------------------------------
    active_ids = list(
        Teacher.objects.filter(
            school__township__county=county, status=Teacher.Status.ACTIVE
        ).values_list("pk", flat=True)
    )
    L, K = TrainingEvent.Level, TrainingEvent.Kind
    rural_programme, national_programme = "乡村教师能力素质提升工程", "国培计划"
    plans = [
        ("国培计划——乡村教师能力素质提升", L.NATIONAL, 60, "省教育厅", K.ALL_STAFF),
        ("省级骨干教师培训", L.PROVINCIAL, 40, "省教师发展中心", K.ON_THE_JOB),
        ("新入职教师岗前培训", L.COUNTY, 24, "县教师进修学校", K.INDUCTION),
        ("班主任工作能力培训", L.COUNTY, 16, "县教师进修学校", K.ON_THE_JOB),
        ("信息技术应用能力提升工程2.0", L.MUNICIPAL, 30, "市教育科学研究所", K.ALL_STAFF),
        ("控辍保学政策与家访实务", L.COUNTY, 8, "县教育局", K.SPECIAL),
        ("校本研修：大单元教学设计", L.SCHOOL, 12, "各学校教研组", K.OTHER),
        ("心理健康教育专题培训", L.MUNICIPAL, 12, "市教育局", K.SPECIAL),
    ]
    programmes = {0: national_programme, 1: rural_programme, 2: rural_programme}
    events = 0
    attendances = []
    for offset_year in (1, 0):
        for number, (title, level, hours, provider, kind) in enumerate(plans):
            start = datetime.date(year - offset_year, 1 + (number * 3) % 11, 5 + number)
            if start > today:
                continue
            event = trainings.create_training(
                actor=actor,
                county=county,
                title=f"{year - offset_year}年{title}",
                level=level,
                start_date=start,
                end_date=start + datetime.timedelta(days=max(1, hours // 8) - 1),
                hours=hours,
                provider=provider,
                kind=kind,
                programme=programmes.get(number, ""),
            )
            events += 1
            share = 0.05 if level in ("national", "provincial") else 0.25
            k = min(len(active_ids), max(3, int(len(active_ids) * share)))
            for teacher_id in rng.sample(active_ids, k=k):
                attendances.append(
                    {"event_id": event.pk, "teacher_id": teacher_id, "hours": event.hours}
                )
    copy_insert(TrainingAttendance, attendances, return_ids=False, write_history=False)

    sessions = load_home_teaching_demo(county, actor, today)

    vacancies = sum(row.vacancy for row in staffing_of(schools_qs, day=today).rows)
    return (
        f"teachers demo: {len(created)} teachers, {vacancies} vacancies, {len(due)} special-post "
        f"teachers due this year, {made_exchanges} exchanges, {len(periods)} allowance batches, "
        f"{events} trainings with {len(attendances)} attendances, {sessions} home teaching "
        "sessions"
    )


def _recruits_of_both_years(rng, county, table, today, id_sequence) -> list[tuple[dict, list]]:
    """One recruit of each channel this year and last year, a special-post cohort of each
    (rural schools), and last year's due cohort (recruited four years ago): the annual
    summaries of both years have every channel."""
    year = today.year
    rural = [row.school for row in table.rows if row.school.is_rural] or [
        row.school for row in table.rows
    ]
    if not rural:
        return []
    plan = []
    for recruit_year in (year - 1, year):
        hire = min(datetime.date(recruit_year, 8, 25), today)
        for recruitment in (
            Recruitment.OPEN,
            Recruitment.OPEN,
            Recruitment.FREE_NORMAL,
            Recruitment.PUBLICLY_FUNDED,
            Recruitment.TARGETED_RURAL,
            Recruitment.SPECIAL_POST_PLAN,
        ):
            plan.append((recruit_year, hire, recruitment))
    plan += [(year - 4, datetime.date(year - 4, 8, 25), Recruitment.SPECIAL_POST_PLAN)] * 2
    recruits = []
    for number, (recruit_year, hire, recruitment) in enumerate(plan):
        school = rural[number % len(rural)]
        sex = rng.choice("MF")
        birth = datetime.date(rng.randint(1995, 2002), rng.randint(1, 12), rng.randint(1, 28))
        id_sequence[(birth, sex)] += 1
        special = recruitment == Recruitment.SPECIAL_POST_PLAN
        teacher = {
            "resident_id": make_resident_id(
                place_code=county.code,
                birth_date=birth,
                sequence=id_sequence[(birth, sex)],
                sex=sex,
            ),
            "name": _name(rng),
            "sex": sex,
            "birth_date": birth,
            "phone": f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            "school_id": school.pk,
            "school_since": hire,
            "title": Title.NONE,
            "post_type": PostType.SPECIAL_POST if special else PostType.REGULAR,
            "recruitment": recruitment,
            "recruitment_year": recruit_year,
            "hire_date": hire,
            "special_post_status": Teacher.SpecialPostStatus.SERVING if special else "",
        }
        if special:
            teacher.update(service_years=3, service_end=add_years(hire, 3))
        codes = SUBJECTS_BY_STAGE[_main_stage(school)]
        recruits.append((teacher, [rng.choice(codes)]))
    return recruits


def _every_kind_both_years(rng, actor, county, used, today, urban, rural) -> int:
    """An exchange of every kind that began last year and this year (the annual summary
    counts them by kind), with teachers not already chosen for one."""
    year = today.year
    taken = {teacher.pk for teacher in used}
    started = set(
        Exchange.objects.filter(
            teacher__school__township__county=county, start_date__year__gte=year - 1
        ).values_list("start_date__year", "kind")
    )
    spare = iter(
        Teacher.objects.filter(
            school__township__county=county,
            status=Teacher.Status.ACTIVE,
            post_type=PostType.REGULAR,
            school_since__lte=datetime.date(year - 1, 3, 1),
        )
        .exclude(pk__in=taken)
        .select_related("school__township")
        .order_by("pk")
    )
    made = 0
    for exchange_year in (year - 1, year):
        start = datetime.date(exchange_year, 3, 1)
        end = datetime.date(exchange_year, 7, 10)
        if start > today:
            continue
        for kind in Exchange.Kind.values:
            if (exchange_year, kind) in started:
                continue
            teacher = next(spare, None)
            if teacher is None:
                return made
            pool = [s for s in (urban + rural) if s.pk != teacher.school_id]
            if not pool:
                continue
            try:
                exchanges.create_exchange(
                    actor=actor,
                    teacher=teacher,
                    to_school=rng.choice(pool),
                    kind=kind,
                    start_date=start,
                    end_date=end,
                    note="按县教育局交流轮岗计划",
                )
            except DomainError:
                continue
            made += 1
    return made
