"""Item 12 of issue 10 (answers): a Content-Security-Policy without inline script, nosniff,
Referrer-Policy, no framing, and Cache-Control: no-store on every answer to a logged-in user
(pages and API: they hold children's personal data). CSP without 'unsafe-inline' only works if
no template has an inline script or event handler: checked over every template."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from ..conftest import api_token_for, client_for

ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def _assert_common_headers(response):
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"], "no inline script, no eval, no other origin"
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def _assert_no_store(response):
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, response["Cache-Control"]


@pytest.mark.parametrize(
    "page",
    [
        lambda w: reverse("home"),
        lambda w: reverse("enrollment:township_ledger", args=[w.township1.pk]),
        lambda w: reverse("enrollment:child_detail", args=[w.child1.pk]),
        lambda w: reverse("dropout:case_list"),
        lambda w: reverse("core:notification_list"),
        lambda w: "/api/v1/children/",
    ],
    ids=["home", "ledger", "child", "cases", "notifications", "api-session"],
)
def test_pages_for_a_logged_in_user_are_never_stored(world, page):
    response = client_for(world.township1_user).get(page(world))
    assert response.status_code == 200
    _assert_common_headers(response)
    _assert_no_store(response)


def test_api_answers_to_a_token_are_never_stored(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(world.auditor)}")
    response = api.get("/api/v1/children/")
    assert response.status_code == 200
    _assert_no_store(response)
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_login_page_has_the_security_headers_too(db, client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    _assert_common_headers(response)


def test_the_api_documentation_runs_without_inline_script(world):
    client = client_for(world.auditor)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), "inline script in docs"
    _assert_common_headers(page)


def test_the_csp_setting_allows_no_inline_script():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]


# --- no template relies on inline script -------------------------------------------------------

EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _templates():
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        if ".venv" in folder.parts:
            continue
        yield from folder.rglob("*.html")


def test_there_are_templates_to_check():
    names = {path.name for path in _templates()}
    assert {"base.html", "login.html", "document_print.html"} <= names


@pytest.mark.parametrize("pattern", [EVENT_HANDLER, INLINE_SCRIPT, JAVASCRIPT_URL])
def test_no_template_has_inline_script(pattern):
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)[:80]}"
        for path in _templates()
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_behaviours_script_wires_what_the_inline_handlers_did():
    script = (ROOT / "static" / "js" / "behaviours.js").read_text()
    base = (ROOT / "templates" / "base.html").read_text()
    assert "js/behaviours.js" in base
    assert 'name="language"' in base
    for hook in ("[data-error-summary]", "[data-print]", "[data-reload-page]"):
        assert hook in script
