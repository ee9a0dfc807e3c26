import datetime

import pytest

from core.resident_id import ResidentIdError, make_resident_id, parse_resident_id

VALID = "11010519491231002X"  # a well-known valid sample number (Beijing, Chaoyang)


def test_valid_id_gives_birth_date_and_sex():
    parsed = parse_resident_id(VALID)
    assert parsed.number == VALID
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == "F"  # order code 002: even
    assert parsed.warnings == []


def test_lowercase_x_is_accepted_and_upper_cased():
    assert parse_resident_id(VALID.lower()).number == VALID


def test_full_width_digits_and_spaces_are_normalised():
    full_width = "１１０１０５ １９４９１２３１ ００２ｘ"
    assert parse_resident_id(full_width).number == VALID


def test_bad_checksum_is_refused_with_the_expected_digit():
    with pytest.raises(ResidentIdError) as error:
        parse_resident_id("110105194912310021")
    assert "X" in str(error.value)


def test_impossible_birth_date_is_refused():
    body = "11010520150230123"  # 30 February
    from stdnum.cn import ric

    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(ResidentIdError):
        parse_resident_id(number)


def test_future_birth_date_is_refused():
    number = make_resident_id(
        place_code="510304", birth_date=datetime.date(2030, 1, 1), sequence=1, sex="M"
    )
    with pytest.raises(ResidentIdError):
        parse_resident_id(number, today=datetime.date(2026, 1, 1))


@pytest.mark.parametrize("raw", ["", "12345", "1101051949123100211", "11010519491231A02X"])
def test_wrong_length_or_format_is_refused(raw):
    with pytest.raises(ResidentIdError):
        parse_resident_id(raw)


def test_unknown_birth_place_is_a_warning_not_an_error():
    number = make_resident_id(
        place_code="519901", birth_date=datetime.date(2015, 3, 4), sequence=3, sex="M"
    )
    parsed = parse_resident_id(number)
    assert parsed.number == number
    assert len(parsed.warnings) == 1 and "519901" in parsed.warnings[0]


@pytest.mark.parametrize("sex", ["M", "F"])
def test_made_ids_are_valid_and_carry_the_sex(sex):
    numbers = {
        make_resident_id(
            place_code="510304", birth_date=datetime.date(2016, 5, 6), sequence=n, sex=sex
        )
        for n in range(500)
    }
    assert len(numbers) == 500
    assert {parse_resident_id(n).sex for n in numbers} == {sex}


def test_the_check_digit_agrees_with_python_stdnum_on_many_numbers():
    import random

    from stdnum.cn import ric

    from core.resident_id import check_digit

    rng = random.Random(11643)
    bodies = [f"{rng.randrange(10**17):017d}" for _ in range(5000)]
    assert [check_digit(body) for body in bodies] == [
        ric.calc_check_digit(body + "0") for body in bodies
    ]


def test_digits_of_other_scripts_are_refused_not_read_as_numbers():
    # "٣" (Arabic-Indic three) counts as a digit for str.isdigit and survives NFKC.
    valid = make_resident_id(
        place_code="510304", birth_date=datetime.date(2015, 3, 4), sequence=3, sex="M"
    )
    with pytest.raises(ResidentIdError):
        parse_resident_id(valid[:5] + "٣" + valid[6:])


def test_the_unknown_birth_place_warning_speaks_the_language_active_when_shown():
    from django.utils import translation

    number = make_resident_id(
        place_code="519901", birth_date=datetime.date(2015, 3, 4), sequence=3, sex="M"
    )
    with translation.override("en"):
        parsed = parse_resident_id(number)
    with translation.override("zh-hans"):
        shown = str(parsed.warnings[0])
    assert "519901" in shown and "出生地" in shown
