from django.test import TestCase
from django.urls import reverse

from core.models import Notification
from core.notifications import notify

from ..conftest import client_for


def test_notify_once_per_key_and_bell_count(world):
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify([world.township1_user], "甲儿童到期应返校", link="/unaccounted/", key="due:1")
        notify([world.township1_user], "甲儿童到期应返校", link="/unaccounted/", key="due:1")
    assert Notification.objects.count() == 1
    client = client_for(world.township1_user)
    page = client.get(reverse("core:notification_list"))
    assert "甲儿童到期应返校" in page.content.decode()
    assert page.context["nav_unread_notifications"] == 1


def test_opening_marks_read_and_follows_the_link_only_for_the_recipient(world):
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify([world.township1_user], "x", link="/unaccounted/", key="k")
    notification = Notification.objects.get()
    url = reverse("core:notification_open", args=[notification.pk])
    assert client_for(world.township2_user).get(url).status_code == 404
    response = client_for(world.township1_user).get(url)
    assert response.status_code == 302 and response["Location"] == "/unaccounted/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_an_external_link_is_not_followed(world):
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify([world.township1_user], "x", link="https://evil.example/", key="k")
    notification = Notification.objects.get()
    response = client_for(world.township1_user).get(
        reverse("core:notification_open", args=[notification.pk])
    )
    assert response["Location"] == reverse("core:notification_list")


def test_mark_all_as_read_touches_only_ones_own(world):
    from django.urls import reverse

    from core.models import Notification
    from tests.conftest import client_for

    for user in (world.township1_user, world.township1_user, world.township2_user):
        Notification.objects.create(recipient=user, message="月报已发布")
    client = client_for(world.township1_user)
    assert client.get(reverse("core:notification_read_all")).status_code == 405
    response = client.post(reverse("core:notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=world.township1_user, read_at=None).exists()
    assert Notification.objects.filter(recipient=world.township2_user, read_at=None).count() == 1
