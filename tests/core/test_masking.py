from core.masking import mask_phone, mask_resident_id


def test_resident_id_keeps_four_digits_at_each_end():
    assert mask_resident_id("510304201503041234") == "5103**********1234"


def test_phone_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_empty_values_stay_empty():
    assert mask_resident_id(None) == "" and mask_phone("") == ""
