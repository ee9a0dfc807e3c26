"""No list unmasks: for every role, every API list and detail, every page and every Excel export is
read and searched for the full resident IDs and mobile numbers held in the database. A full value
may appear only where the one masking rule (core.masking.shows_full) allows it: never in a list;
in one person's own record and in an export only for a role and scope that need it, as the owning
app decides (FULL_IDENTITY_ROLES for a child, TEACHER_FULL_IDENTITY_ROLES for a teacher, the
complaint's handlers for a complainant). Any other 18-character ID or mobile that validates is a
leak too (a value the registry below does not know about).
"""

import datetime
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass

import openpyxl
import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from config import access
from config.api_urls import router
from core.export_jobs import run_export
from core.masking import Shown, shows_full
from core.models import ExportJob
from core.resident_id import ResidentIdError, make_resident_id, parse_resident_id
from enrollment.exports import CASE_FLAG_HEADER, CASE_FLAG_MASK
from enrollment.models import Child, HelpPairing, PartnerUnit, RollEntry
from enrollment.permissions import user_may
from enrollment.roles import CASE_FLAG_ROLES, FULL_IDENTITY_ROLES, PARTNER_UNIT_ROLES, Role
from enrollment.services import grant_role
from inspections.models import Complaint
from inspections.services.complaints import sees_complainant
from teachers.models import PostType, Recruitment, Teacher
from teachers.roles import TEACHER_FULL_IDENTITY_ROLES
from teachers.services import teachers

from ..factories import UserFactory
from ..test_route_walk import _API_MODELS, county, inside_url  # noqa: F401  (county: a fixture)

# --- who may see which value in full (the owning apps' rules) --------------------------------


@dataclass(frozen=True)
class Owner:
    obj: object
    needs_full: object  # user -> bool

    def allows(self, user, shown: Shown, record) -> bool:
        if shown is Shown.RECORD and not _same(self.obj, record):
            return False  # another person's value on this record's page is a list's
        return shows_full(shown, needs_full=self.needs_full(user))


def _same(a, b) -> bool:
    return b is not None and type(a) is type(b) and a.pk == b.pk


def _by_roles(queryset, roles):
    return lambda obj: lambda user: user_may(user, queryset, roles, obj)


def personal_values() -> dict[str, list[Owner]]:
    values = defaultdict(list)
    child_rule = _by_roles(Child.objects, FULL_IDENTITY_ROLES)
    for child in Child.objects.all():
        for value in (child.resident_id, child.guardian_phone):
            if value:
                values[value].append(Owner(child, child_rule(child)))
    for pairing in HelpPairing.objects.select_related("child"):
        if pairing.partner_phone:
            values[pairing.partner_phone].append(Owner(pairing.child, child_rule(pairing.child)))
    # A partner unit's contact: in full to those who keep the catalogue (its edit form).
    unit_rule = _by_roles(PartnerUnit.objects, PARTNER_UNIT_ROLES)
    for unit in PartnerUnit.objects.exclude(phone=""):
        values[unit.phone].append(Owner(unit, unit_rule(unit)))
    roll_rule = _by_roles(RollEntry.objects, FULL_IDENTITY_ROLES)
    for entry in RollEntry.objects.all():
        values[entry.resident_id].append(Owner(entry, roll_rule(entry)))
    teacher_rule = _by_roles(Teacher.objects, TEACHER_FULL_IDENTITY_ROLES)
    for teacher in Teacher.objects.all():
        for value in (teacher.resident_id, teacher.phone):
            if value:
                values[value].append(Owner(teacher, teacher_rule(teacher)))
    for complaint in Complaint.objects.exclude(complainant_contact=""):
        for number in re.findall(r"\d{11,18}", complaint.complainant_contact):
            values[number].append(
                Owner(complaint, lambda user, c=complaint: sees_complainant(user, c))
            )
    return values


# --- 涉案未成年人: a flag, not a number ----------------------------------------------------------
# Shown only where one of the user's CASE_FLAG_ROLES covers the child: as the badge
# `data-case-flag="<child id>"` on pages, `is_involved_in_case` (null when masked) in the API and
# its own column (masked *** elsewhere) in the ledger export.

CASE_MARK = re.compile(r'data-case-flag="(\d+)"')


@dataclass
class CaseFlags:
    flagged: set  # ids of the children flagged
    visible: set  # ids of the children whose flag the user may see (the owning app's rule)
    names_visible: set  # names of those children (an export row names its child)
    names_flagged_visible: set

    @classmethod
    def for_user(cls, user):
        children = Child.objects.select_related("village__township", "current_school")
        flagged, visible, names, names_flagged = set(), set(), set(), set()
        for child in children:
            if child.is_involved_in_case:
                flagged.add(child.pk)
            if user is not None and user_may(user, Child.objects, CASE_FLAG_ROLES, child):
                visible.add(child.pk)
                names.add(child.name)
                if child.is_involved_in_case:
                    names_flagged.add(child.name)
        return cls(flagged, visible, names, names_flagged)


def _case_flags_in_json(value):
    """(id, flag) of every object of the answer that carries `is_involved_in_case`."""
    if isinstance(value, dict):
        if "is_involved_in_case" in value:
            yield value.get("id"), value["is_involved_in_case"]
        for item in value.values():
            yield from _case_flags_in_json(item)
    elif isinstance(value, list):
        for item in value:
            yield from _case_flags_in_json(item)


# --- reading and searching ------------------------------------------------------------------

DIGIT_RUN = re.compile(r"[0-9]{11,}[0-9Xx]?")
MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _looks_personal(token: str) -> bool:
    if len(token) == 11:
        return bool(MOBILE.fullmatch(token))
    try:
        parse_resident_id(token)
    except ResidentIdError:
        return False
    return True


class Walk:
    def __init__(self, user, values):
        self.user, self.values, self.leaks, self.seen = user, values, [], 0
        self._answers = {}  # the rule's answer per (owner, how shown, record): each asked once
        self.case_flags = CaseFlags.for_user(user) if user is not None else None
        self.case_flags_seen = 0  # flags read (shown, masked or said to be absent)

    def allows(self, owner: Owner, shown: Shown, record) -> bool:
        key = (id(owner), shown, type(record), getattr(record, "pk", None))
        if key not in self._answers:
            self._answers[key] = owner.allows(self.user, shown, record)
        return self._answers[key]

    def search(self, where: str, text: str, shown: Shown, record=None):
        self.seen += 1
        for run in DIGIT_RUN.findall(text):
            tokens = {run[i : i + n] for n in (18, 11) for i in range(len(run) - n + 1)}
            for token in tokens:
                owners = self.values.get(token)
                if owners is None:
                    if _looks_personal(token) and len(run) == len(token):
                        self.leaks.append(f"{where}: unknown personal number {token}")
                    continue
                if not any(self.allows(owner, shown, record) for owner in owners):
                    self.leaks.append(f"{where} ({shown.value}): {token} unmasked")

    def response(self, where, response, shown, record=None):
        if response.status_code != 200:
            return
        kind = response.get("Content-Type", "")
        body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        if "spreadsheetml" in kind:
            self.workbook(where, body, record)
        elif "pdf" in kind or "image" in kind or not kind:
            return
        else:
            text = body.decode(errors="replace")
            self.search(where, text, shown, record)
            self.case_flags_in_text(where, text, json_answer="json" in kind)

    def case_flags_in_text(self, where, text, *, json_answer: bool):
        flags = self.case_flags
        if flags is None:
            return
        for pk in map(int, CASE_MARK.findall(text)):
            self.case_flags_seen += 1
            if pk not in flags.visible:
                self.leaks.append(f"{where}: 涉案 flag of child {pk} shown")
            elif pk not in flags.flagged:
                self.leaks.append(f"{where}: 涉案 badge on child {pk}, who is not flagged")
        if not json_answer:
            return
        try:
            answer = json.loads(text)
        except ValueError:
            return
        for pk, flag in _case_flags_in_json(answer):
            self.case_flags_seen += 1
            if flag is None:
                continue  # masked
            if pk not in flags.visible:
                self.leaks.append(f"{where}: is_involved_in_case of child {pk} unmasked")
            elif flag != (pk in flags.flagged):
                self.leaks.append(f"{where}: is_involved_in_case of child {pk} wrong")

    def case_flags_in_sheet(self, where, rows):
        flags = self.case_flags
        if flags is None or not rows or CASE_FLAG_HEADER not in rows[0]:
            return
        column, name_column = rows[0].index(CASE_FLAG_HEADER), rows[0].index("姓名")
        for row in rows[1:]:
            self.case_flags_seen += 1
            value, name = row[column], row[name_column]
            if value == CASE_FLAG_MASK:
                continue
            if value == "是" and name in flags.names_flagged_visible:
                continue
            if value in (None, "") and name in flags.names_visible:
                continue
            self.leaks.append(f"{where} (export): 涉案 cell {value!r} of {name} unmasked")

    def workbook(self, where, content: bytes, record=None):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        sheets = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
        for rows in sheets:
            self.case_flags_in_sheet(where, rows)
        cells = [str(cell) for rows in sheets for row in rows for cell in row if cell is not None]
        self.search(where, "\n".join(cells), Shown.EXPORT, record)


def _scoped_first(model, user):
    manager = model.objects
    queryset = manager.for_user(user) if hasattr(manager, "for_user") else manager.all()
    return queryset.order_by("pk").first()


def walk_api(walk: Walk, user):
    api = APIClient()
    api.force_authenticate(user)
    for prefix, viewset, basename in router.registry:
        walk.response(f"GET /api/v1/{prefix}/", api.get(f"/api/v1/{prefix}/"), Shown.LIST)
        for action in viewset.get_extra_actions():
            if not action.detail and "get" in action.mapping:
                path = f"/api/v1/{prefix}/{action.url_path}/"
                walk.response(f"GET {path}", api.get(path), Shown.LIST)
        obj = _scoped_first(apps.get_model(_API_MODELS[basename]), user)
        if obj is None:
            continue
        path = f"/api/v1/{prefix}/{obj.pk}/"
        walk.response(f"GET {path}", api.get(path), Shown.RECORD, obj)
        for action in viewset.get_extra_actions():
            if action.detail and "get" in action.mapping:
                path = f"/api/v1/{prefix}/{obj.pk}/{action.url_path}/"
                walk.response(f"GET {path}", api.get(path), Shown.RECORD, obj)


EXPORT_WORDS = ("export", "workbook")
NOT_WALKED = {
    "logout",
    "core:export_download",  # read after each export below
    "core:import_template",  # an empty template whose sample row is made up
}


def walk_pages(walk: Walk, user):
    browser = Client()
    browser.force_login(user)
    for name, door in sorted(access.PAGES.items()):
        if door.public or name in NOT_WALKED:
            continue
        found = inside_url(name, door, user)
        if found is None:
            continue
        url, obj = found
        shown = Shown.RECORD if door.record else Shown.LIST
        if any(word in name for word in EXPORT_WORDS):
            _export(walk, browser, user, name, url, obj)
        else:
            walk.response(f"GET {url}", browser.get(url), shown, obj)


def _export(walk, browser, user, name, url, obj):
    before = set(ExportJob.objects.filter(requested_by=user).values_list("pk", flat=True))
    response = browser.get(url)
    if response.status_code == 405 or "spreadsheetml" not in response.get("Content-Type", ""):
        response = browser.post(url, {})
    walk.response(f"{name} {url}", response, Shown.EXPORT, obj)
    for job in ExportJob.objects.filter(requested_by=user).exclude(pk__in=before):
        run_export(job.pk)
        download = browser.get(reverse("core:export_download", kwargs={"pk": job.pk}))
        assert download.status_code == 200, f"{name}: the export {job.exporter} failed"
        walk.response(f"{name} → {job.exporter}", download, Shown.EXPORT, obj)


def _walk_everything(user, *, minimum: int):
    walk = Walk(user, personal_values())
    assert walk.case_flags.flagged, "no child is flagged 涉案: the walk would prove nothing"
    walk_api(walk, user)
    walk_pages(walk, user)
    assert walk.seen >= minimum, f"only {walk.seen} answers read"
    if Child.objects.for_user(user).exists():
        assert walk.case_flags_seen, "no 涉案 flag read (shown, masked or absent)"
    assert not walk.leaks, "\n".join(sorted(set(walk.leaks)))


# --- the roles ---------------------------------------------------------------------------------
# The `world` fixture's users first: the demo county below (a module fixture) uses the same
# usernames, so these run before it is loaded.

WORLD_USERS = [
    "admin",
    "bureau",
    "township1_user",
    "township2_user",
    "village1_user",
    "school1_user",
    "inspector",
    "auditor",
    "nobody",
]


@pytest.mark.parametrize("attribute", WORLD_USERS)
def test_no_world_user_sees_an_unmasked_number_the_rule_masks(world, attribute):
    Child.objects.filter(pk=world.child1.pk).update(is_involved_in_case=True)  # 涉案
    # A 残疾人证号 holds the ID: masked like it wherever the ID is.
    Child.objects.filter(pk=world.child2.pk).update(
        is_disabled=True, disability_certificate_number=world.child2.resident_id + "42"
    )
    for school, phone in ((world.school1, "13700001111"), (world.school2, "13700002222")):
        teachers.register_teacher(
            actor=world.admin,
            resident_id=make_resident_id(
                place_code="510304",
                birth_date=datetime.date(1985, 3, 4),
                sequence=school.pk,
                sex="F",
            ),
            name="张老师",
            phone=phone,
            school=school,
            post_type=PostType.REGULAR,
            recruitment=Recruitment.OPEN,
            recruitment_year=2015,
            hire_date=datetime.date(2015, 8, 25),
        )
    _walk_everything(getattr(world, attribute), minimum=40)


def test_the_teachers_api_masks_its_list_and_shows_one_teacher_to_the_bureau(world):
    teacher = teachers.register_teacher(
        actor=world.admin,
        resident_id=make_resident_id(
            place_code="510304", birth_date=datetime.date(1985, 3, 4), sequence=7, sex="M"
        ),
        name="李老师",
        phone="13700003333",
        school=world.school1,
        post_type=PostType.REGULAR,
        recruitment=Recruitment.OPEN,
        recruitment_year=2015,
        hire_date=datetime.date(2015, 8, 25),
    )
    bureau, township = APIClient(), APIClient()
    bureau.force_authenticate(world.bureau)
    township.force_authenticate(world.township1_user)
    listed = bureau.get("/api/v1/teachers/").json()["results"][0]
    assert (listed["resident_id"], listed["phone"]) == (
        teacher.masked_resident_id,
        teacher.masked_phone,
    )
    one = bureau.get(f"/api/v1/teachers/{teacher.pk}/").json()
    assert (one["resident_id"], one["phone"]) == (teacher.resident_id, teacher.phone)
    one = township.get(f"/api/v1/teachers/{teacher.pk}/").json()
    assert (one["resident_id"], one["phone"]) == (teacher.masked_resident_id, teacher.masked_phone)


DEMO_USERS = [
    "admin",
    "bureau",
    "township1",
    "township2",
    "village1",
    "school1",
    "inspector",
    "auditor",
]


@pytest.mark.parametrize("username", DEMO_USERS)
def test_no_demo_role_sees_an_unmasked_number_the_rule_masks(county, db, username):  # noqa: F811
    _walk_everything(county[username], minimum=60)


def test_a_user_with_two_roles_gets_the_wider_rule_only_where_it_holds(county, db):  # noqa: F811
    """A school's staff who also holds a village: full values only on records in scope of a
    role that needs them, masked elsewhere (the lists as always)."""
    user = UserFactory(username="twohats")
    school = county["school1"].role_assignments.get().school
    village = county["village1"].role_assignments.get().village
    grant_role(user=user, role=Role.SCHOOL_STAFF, place=school)
    grant_role(user=user, role=Role.VILLAGE_CADRE, place=village)
    _walk_everything(user, minimum=100)


def test_the_walk_finds_an_unmasked_list():
    """The walk's own check: a list showing a value in full is a leak even to a role that may
    see it on the record's page."""
    child = Owner(object(), lambda user: True)
    walk = Walk(None, {"510304201503041234": [child]})
    walk.search("list", "<td>510304201503041234</td>", Shown.LIST)
    walk.search("masked", "<td>5103**********1234</td>", Shown.LIST)
    assert walk.leaks == ["list (list): 510304201503041234 unmasked"]


def test_the_walk_finds_a_case_flag_shown_to_whom_it_is_masked():
    walk = Walk(None, {})
    walk.case_flags = CaseFlags(
        flagged={7, 8}, visible={8, 9}, names_visible={"乙", "丙"}, names_flagged_visible={"乙"}
    )
    walk.case_flags_in_text("page", '<span data-case-flag="7">涉案</span>', json_answer=False)
    walk.case_flags_in_text("page", '<span data-case-flag="8">涉案</span>', json_answer=False)
    walk.case_flags_in_text(
        "api",
        '{"results": [{"id": 7, "is_involved_in_case": false},'
        ' {"id": 9, "is_involved_in_case": null}, {"id": 8, "is_involved_in_case": true}]}',
        json_answer=True,
    )
    rows = [("序号", "姓名", CASE_FLAG_HEADER), (1, "甲", ""), (2, "乙", "是"), (3, "丁", "***")]
    walk.case_flags_in_sheet("export", rows)
    assert walk.leaks == [
        "page: 涉案 flag of child 7 shown",
        "api: is_involved_in_case of child 7 unmasked",
        "export (export): 涉案 cell '' of 甲 unmasked",
    ]
