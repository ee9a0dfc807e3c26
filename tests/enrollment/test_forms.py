"""The registry's forms: validation in Chinese, nothing written on bad input, history kept."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.resident_id import make_resident_id
from enrollment.models import Child, EnrollmentStatus, HelpPairing, Household, HouseholdVisit

from ..conftest import client_for, visit_form


def _child_post(world, **overrides):
    data = {
        "household": world.household1.pk,
        "name": "王新",
        "guardian_name": "王一",
        "guardian_relation": "父亲",
        "guardian_phone": "13900001111",
    }
    data.update(overrides)
    return data


def _valid_id(sex="M", year=2017, sequence=7):
    return make_resident_id(
        place_code="510304", birth_date=datetime.date(year, 5, 6), sequence=sequence, sex=sex
    )


def test_registering_a_child_derives_sex_and_birth_date_from_the_id(world):
    number = _valid_id("F")
    response = client_for(world.township1_user).post(
        reverse("enrollment:register_child"), _child_post(world, resident_id=number)
    )
    child = Child.objects.get(resident_id=number)
    assert response.status_code == 302
    assert (child.sex, child.birth_date, child.village) == (
        "F",
        datetime.date(2017, 5, 6),
        world.village1,
    )
    assert child.status == EnrollmentStatus.UNVERIFIED
    assert child.status_changes.get().recorded_by == world.township1_user
    assert {row.history_user for row in child.history.all()} == {world.township1_user}


def test_full_width_id_with_lowercase_x_is_normalised_on_registration(world):
    number = next(n for n in (_valid_id(sequence=s) for s in range(60)) if n.endswith("X"))
    typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else "x" for c in number)
    client_for(world.township1_user).post(
        reverse("enrollment:register_child"), _child_post(world, resident_id=typed)
    )
    assert Child.objects.filter(resident_id=number).exists()


def test_bad_checksum_is_explained_in_chinese_and_nothing_is_created(world):
    number = _valid_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    count = Child.objects.count()
    response = client_for(world.township1_user).post(
        reverse("enrollment:register_child"), _child_post(world, resident_id=wrong)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["resident_id"]
    assert "校验码" in errors[0]
    assert Child.objects.count() == count


def test_sex_that_contradicts_the_id_is_refused(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:register_child"),
        _child_post(world, resident_id=_valid_id("M"), sex="F"),
    )
    assert "sex" in response.context["form"].errors
    assert not Child.objects.filter(name="王新").exists()


def test_birth_date_that_contradicts_the_id_is_refused(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:register_child"),
        _child_post(world, resident_id=_valid_id(), birth_date="2017-05-07"),
    )
    assert "birth_date" in response.context["form"].errors


def test_duplicate_resident_id_is_refused(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:register_child"),
        _child_post(world, resident_id=world.child1.resident_id),
    )
    assert "resident_id" in response.context["form"].errors


def test_child_without_registration_is_flagged_not_given_a_fake_id(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:register_child"),
        _child_post(world, has_no_resident_id="on", sex="M", birth_date="2016-02-02"),
    )
    assert response.status_code == 302
    child = Child.objects.get(name="王新")
    assert child.resident_id is None and child.has_no_resident_id


def test_township_official_cannot_register_a_child_in_another_township(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:register_child"),
        _child_post(world, household=world.household2.pk, resident_id=_valid_id()),
    )
    assert "household" in response.context["form"].errors
    assert not Child.objects.filter(name="王新").exists()


def test_poor_household_needs_its_registration_number(world):
    data = {
        "village": world.village1.pk,
        "address": "三组5号",
        "head_name": "赵三",
        "poverty_status": "registered_poor",
    }
    client = client_for(world.township1_user)
    response = client.post(reverse("enrollment:register_household"), data)
    assert "poverty_registration_number" in response.context["form"].errors
    assert not Household.objects.filter(head_name="赵三").exists()
    data["poverty_registration_number"] = "510300-0001"
    assert client.post(reverse("enrollment:register_household"), data).status_code == 302
    assert Household.objects.get(head_name="赵三").history.count() == 1


def test_a_visit_that_finds_the_child_working_away_makes_it_a_dropout(world):
    client = client_for(world.village1_user)
    response = client.post(
        reverse("enrollment:record_visit", args=[world.child1.pk]),
        visit_form(world, new_status="dropped_out"),
    )
    assert response.status_code == 302
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.DROPPED_OUT
    visit = HouseholdVisit.objects.get()
    assert list(visit.children.all()) == [world.child1]
    change = world.child1.status_changes.order_by("-pk").first()
    assert change.status == EnrollmentStatus.DROPPED_OUT
    assert change.recorded_by == world.village1_user
    assert timezone.localdate().isoformat() in change.reason
    page = client.get(reverse("enrollment:child_detail", args=[world.child1.pk]))
    assert "孩子随父亲在外务工" in page.content.decode()


def test_a_visit_without_status_change_keeps_the_status(world):
    client_for(world.village1_user).post(
        reverse("enrollment:record_visit", args=[world.child1.pk]),
        visit_form(world, outcome="confirmed_in_school"),
    )
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.IN_SCHOOL
    assert HouseholdVisit.objects.count() == 1


def test_a_visit_in_the_future_is_refused(world):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(world.village1_user).post(
        reverse("enrollment:record_visit", args=[world.child1.pk]),
        visit_form(world, visit_date=tomorrow, new_status="dropped_out"),
    )
    assert "visit_date" in response.context["form"].errors
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.IN_SCHOOL
    assert HouseholdVisit.objects.count() == 0


def test_a_failing_status_change_rolls_the_whole_visit_back(world):
    # in_school without a school is refused by the service: the visit must not remain either.
    response = client_for(world.township1_user).post(
        reverse("enrollment:record_visit", args=[world.child1b.pk]),
        visit_form(world, children=[world.child1b.pk], new_status="in_school"),
    )
    assert response.status_code == 200
    assert HouseholdVisit.objects.count() == 0


def test_an_attachment_that_is_not_pdf_jpeg_or_png_is_refused(world):
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = client_for(world.village1_user).post(
        reverse("enrollment:record_visit", args=[world.child1.pk]),
        visit_form(world, attachment=fake),
    )
    assert "attachment" in response.context["form"].errors
    assert HouseholdVisit.objects.count() == 0


def test_a_child_of_another_household_cannot_be_ticked(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:record_visit", args=[world.child1.pk]),
        visit_form(world, children=[world.child1.pk, world.child1b.pk]),
    )
    assert "children" in response.context["form"].errors
    assert HouseholdVisit.objects.count() == 0


def test_status_form_explains_a_missing_school(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:change_status", args=[world.child1b.pk]),
        {
            "status": "in_school",
            "effective_date": timezone.localdate().isoformat(),
            "reason": "入学",
        },
    )
    assert "school" in response.context["form"].errors
    world.child1b.refresh_from_db()
    assert world.child1b.status == EnrollmentStatus.UNVERIFIED


def test_status_form_puts_a_child_in_school(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:change_status", args=[world.child1b.pk]),
        {
            "status": "in_school",
            "effective_date": timezone.localdate().isoformat(),
            "reason": "入学",
            "school": world.school1.pk,
            "grade": 2,
            "class_name": "2班",
        },
    )
    assert response.status_code == 302
    world.child1b.refresh_from_db()
    assert (world.child1b.status, world.child1b.current_school, world.child1b.grade) == (
        EnrollmentStatus.IN_SCHOOL,
        world.school1,
        2,
    )


def test_status_form_does_not_offer_deferral(world):
    response = client_for(world.township1_user).post(
        reverse("enrollment:change_status", args=[world.child1.pk]),
        {"status": "deferred", "effective_date": timezone.localdate().isoformat(), "reason": "病"},
    )
    assert "status" in response.context["form"].errors


def test_a_new_help_partner_ends_the_previous_pairing(world):
    client = client_for(world.school1_user)
    url = reverse("enrollment:assign_partner", args=[world.child1.pk])
    start = timezone.localdate() - datetime.timedelta(days=30)
    for name, day in (("赵老师", start), ("钱老师", timezone.localdate())):
        response = client.post(
            url,
            {
                "partner_name": name,
                "partner_kind": "teacher",
                "plan": "每周辅导",
                "start_date": day.isoformat(),
            },
        )
        assert response.status_code == 302
    pairings = {p.partner_name: p for p in HelpPairing.objects.filter(child=world.child1)}
    assert pairings["赵老师"].end_date == timezone.localdate()
    assert pairings["钱老师"].end_date is None


def test_a_visit_that_sets_the_child_in_school_keeps_the_class(world):
    response = client_for(world.village1_user).post(
        reverse("enrollment:record_visit", args=[world.child1.pk]),
        visit_form(
            world,
            outcome="confirmed_in_school",
            new_status="in_school",
            school=world.school1.pk,
            grade=4,
            class_name="3班",
        ),
    )
    assert response.status_code == 302
    world.child1.refresh_from_db()
    assert (world.child1.grade, world.child1.class_name) == (4, "3班")
    assert world.child1.status_changes.order_by("-pk").first().class_name == "3班"


def test_the_visit_outcome_has_no_default_and_must_be_chosen(world):
    client = client_for(world.village1_user)
    url = reverse("enrollment:record_visit", args=[world.child1.pk])
    form = client.get(url).context["form"]
    assert form["outcome"].value() in (None, "")
    assert form["school"].value() == world.school1.pk and form["grade"].value() == 3
    response = client.post(url, visit_form(world, outcome=""))
    assert "outcome" in response.context["form"].errors
    assert HouseholdVisit.objects.count() == 0
