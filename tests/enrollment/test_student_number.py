"""学籍号: each of the three formats accepted, each fault refused with its reason."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.resident_id import check_digit, make_resident_id
from enrollment.student_number import parse_student_number, validate_student_number

TODAY = datetime.date(2026, 12, 1)
ID = make_resident_id(
    place_code="510304", birth_date=datetime.date(2015, 3, 4), sequence=123, sex="M"
)


def j_number(body17: str) -> str:
    return "J" + body17 + check_digit(body17)


def refused(value) -> str:
    with pytest.raises(ValidationError) as error:
        parse_student_number(value, today=TODAY)
    return error.value.code


def test_g_number_is_g_and_a_valid_resident_id():
    assert parse_student_number("G" + ID, today=TODAY) == ("G" + ID, "G")


def test_g_number_with_a_wrong_check_digit_is_refused():
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    assert refused("G" + wrong) == "g_id"


def test_g_number_with_an_impossible_birth_date_is_refused():
    body = "51030420151304123"
    assert refused("G" + body + check_digit(body)) == "g_id"


def test_j_number_is_accepted_with_its_check_digit():
    number = j_number("51030420150304001")
    if number[-1] == "X":  # not an 18-digit number: take the next sequence
        number = j_number("51030420150304002")
    assert parse_student_number(number, today=TODAY) == (number, "J")


def test_j_number_with_a_wrong_check_digit_is_refused():
    body = "51030420150304003"
    good = check_digit(body)
    wrong = "0" if good != "0" else "1"
    assert refused("J" + body + wrong) == "j_check"


def test_j_number_with_a_letter_is_refused():
    assert refused("J51030420150304003X") == "j_digits"


def test_j_number_with_an_impossible_birth_date_is_refused():
    body = "51030420150230003"
    assert refused("J" + body + check_digit(body)) == "birth_date"


def test_l_number_is_area_birth_date_and_four_digits():
    assert parse_student_number("L5103042015030412 34".replace(" ", ""), today=TODAY)[1] == "L"


def test_l_number_with_a_future_birth_date_is_refused():
    assert refused("L510304202801011234") == "birth_date"


def test_l_number_with_a_letter_is_refused():
    assert refused("L51030420150304123A") == "l_digits"


def test_wrong_length_and_unknown_prefix_and_empty_are_refused():
    assert refused("G" + ID[:17]) == "length"
    assert refused("X" + ID) == "prefix"
    assert refused("  ") == "empty"


def test_full_width_and_lower_case_are_normalised_by_the_parser():
    full_width = "ｇ" + "".join(chr(ord(c) + 0xFEE0) for c in ID)
    assert parse_student_number(full_width, today=TODAY)[0] == "G" + ID


def test_model_validator_wants_the_number_as_stored():
    validate_student_number("G" + ID)
    validate_student_number(None)
    with pytest.raises(ValidationError):
        validate_student_number("g" + ID)
    with pytest.raises(ValidationError):
        validate_student_number("L51030420150304123")
