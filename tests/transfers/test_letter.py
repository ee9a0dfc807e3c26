"""The 转学联系函: a numbered PDF with the bundled CJK font embedded."""

import subprocess

import pytest
from django.urls import reverse

from core.models import AuditEvent

from ..conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_letter_names_the_number_and_the_child_and_embeds_the_font(world, moved_out, tmp_path):
    response = client_for(world.township1_user).get(
        reverse("transfers:letter", args=[moved_out.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", "")
    assert moved_out.letter_number in text
    assert "转学联系函" in text
    assert "王小一" in text
    assert "广东省深圳市宝安区教育局" in text
    assert "一镇人民政府" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    cjk = [line for line in fonts.stdout.splitlines() if "NotoSerifSC" in line]
    assert cjk and all(" yes " in line for line in cjk)
    assert AuditEvent.objects.filter(
        object_type="transfers.transfer", object_id=str(moved_out.pk)
    ).exists()


def test_a_transfer_inside_the_deployment_has_no_letter(world, proposed):
    url = reverse("transfers:letter", args=[proposed.pk])
    assert client_for(world.township1_user).get(url).status_code == 404


def test_the_letter_of_another_township_is_not_found(world, moved_out):
    url = reverse("transfers:letter", args=[moved_out.pk])
    assert client_for(world.township2_user).get(url).status_code == 404
