from django.urls import reverse

from ..conftest import client_for


def test_chinese_is_shown_whatever_the_browser_asks(world):
    client = client_for(world.township1_user)
    response = client.get(
        reverse("enrollment:township_ledger", args=[world.township1.pk]),
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    )
    assert "乡镇台账" in response.content.decode()


def test_english_when_chosen_in_the_menu(world):
    client = client_for(world.township1_user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("enrollment:township_ledger", args=[world.township1.pk]))
    assert "Township ledger" in page.content.decode()
    assert "乡镇台账" not in page.content.decode()


def test_admin_is_in_chinese_for_the_county_administrator(world):
    client = client_for(world.admin)
    response = client.get("/admin/enrollment/child/")
    assert response.status_code == 200
    assert "儿童" in response.content.decode()


def test_admin_is_closed_to_other_roles(world):
    response = client_for(world.township1_user).get("/admin/enrollment/child/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
