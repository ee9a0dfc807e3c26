"""The lost-update check every edit page and API shares (issue 15): a form or a body carries the
version it was read at; a save from an older version is refused (the page shows why, the API
answers 409) and overwrites nothing. Each app's test_lost_updates.py walks its own records
through these steps and then reads back what was kept."""

from .page_forms import form_values

STALE = "已被他人修改"


def edit_twice(client, url, first: dict, second: dict) -> None:
    """Open the edit page, save `first`, reopen and save `second`: the form carries version 1,
    then 2, and both saves go through."""
    opened = form_values(client.get(url))
    assert opened["version"] == "1"
    assert client.post(url, {**opened, **first}).status_code == 302
    again = form_values(client.get(url))
    assert again["version"] == "2"
    assert client.post(url, {**again, **second}).status_code == 302


def second_save_refused(url, first_client, second_client, first: dict, second: dict) -> None:
    """Both open the page at version 1; the first saves `first`, the second's save of `second`
    from the form it still holds is refused with the message."""
    first_form = form_values(first_client.get(url))
    second_form = form_values(second_client.get(url))
    assert first_form["version"] == second_form["version"] == "1"
    assert first_client.post(url, {**first_form, **first}).status_code == 302
    refused = second_client.post(url, {**second_form, **second})
    assert refused.status_code == 200
    assert STALE in refused.content.decode()


def second_update_refused_by_the_api(url, first_api, second_api, first: dict, second: dict):
    """Both read version 1; the first PATCHes `first` (version 2), the second's PATCH of
    `second` with the version it read answers 409 with the message."""
    read = first_api.get(url).json()["version"]
    assert second_api.get(url).json()["version"] == read == 1
    saved = first_api.patch(url, {**first, "version": read}, format="json")
    assert saved.status_code == 200 and saved.json()["version"] == 2
    refused = second_api.patch(url, {**second, "version": read}, format="json")
    assert refused.status_code == 409
    assert STALE in refused.json()["detail"]
