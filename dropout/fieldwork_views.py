"""我的走访 (the offline visit workbench) as pages: the app itself, its service worker and its web
app manifest. The app's data comes from the API (dropout.fieldwork_api) and lives on the phone
(IndexedDB); the page itself holds nothing personal beyond the navigation of base.html."""

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from enrollment.models import ON_ROLL_STATUSES, TEACHER_VISITORS_MAX, EnrollmentStatus

# What the app needs to open with the network off (besides the page, cached as it is shown).
PRECACHED_STATIC = (
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff",
    "css/theme.css",
    "css/app.css",
    "js/behaviours.js",
    "pwa/store.js",
    "pwa/helpers.js",
    "pwa/app.js",
    "pwa/icons/icon-192.png",
    "pwa/icons/icon-512.png",
)


def app_strings() -> dict:
    """What the app's script says, translated here (the script has no catalogue)."""
    return {
        "online": _("Network: online"),
        "offline": _("Network: offline"),
        "state_pending": _("Waiting to sync"),
        "state_synced": _("Synced"),
        "state_conflict": _("Conflict"),
        "state_rejected": _("Needs correction"),
        "prepared": _("Ready for the trip: %(count)s children stored on this phone."),
        "prepare_failed": _(
            "The worklist could not be downloaded; try again where there is signal."
        ),
        "stored": _("%(count)s children stored (about %(size)s KB), refreshed %(when)s."),
        "nothing_stored": _(
            "Nothing is stored on this phone yet: tap “Prepare for the trip” while you have signal."
        ),
        "worklist_empty": _("No child of your area needs a visit now."),
        "record_visit": _("Record visit"),
        "queued_for_child": _("%(count)s not synced"),
        "status": _("Status"),
        "case": _("Case"),
        "no_case": _("none"),
        "exemption_end": _("exemption ends"),
        "household": _("Household"),
        "guardian": _("Guardian"),
        "last_visit": _("last visit"),
        "never": _("never"),
        "male": _("Male"),
        "female": _("Female"),
        "photo": _("Photo"),
        "persuasion": _("Persuasion"),
        "choose": _("— choose —"),
        "no_change": _("No change"),
        "fix_errors": _("Please correct the following:"),
        "required_field": _("This field is required."),
        "two_officers": _("At least two different enforcement officers must take this step."),
        "required_date": _("Give the visit date."),
        "future_date": _("The visit date cannot be in the future."),
        "old_date": _("The visit date is too far in the past."),
        "required_children": _("Choose at least one child who was the subject of the visit."),
        "required_visitors": _("Say who went."),
        "teacher_visitors_range": _("Give a whole number from 0 to %(max)s."),
        "required_findings": _("Say what was found."),
        "required_outcome": _("Choose the outcome."),
        "required_school": _("This status needs the school whose roll the child is on."),
        "required_grade": _("Give the grade."),
        "required_outside": _("Name the school outside the county."),
        "same_status": _("The child already has this status; nothing to change."),
        "photo_unreadable": _("The photo could not be read; take it again."),
        "saved_online": _("Saved on this phone; sending it now."),
        "saved_offline": _("Saved on this phone. It will be sent when there is signal."),
        "sync_offline": _("No connection: the visits wait on this phone and are sent later."),
        "sync_done": _("Every visit is on the server."),
        "sync_conflicts": _(
            "%(count)s visits were not applied because the child's record changed meanwhile: "
            "decide below."
        ),
        "seen_version": _("When you prepared"),
        "current_version": _("On the server now"),
        "apply_anyway": _("Apply anyway"),
        "discard": _("Discard"),
        "discarded": _("The entry was discarded."),
        "correct": _("Correct"),
        "rejected_generic": _("The server refused this entry."),
    }


@login_required
@require_GET
def app(request):
    return render(
        request,
        "dropout/fieldwork/app.html",
        {
            "config": {
                "username": request.user.get_username(),
                "worklist_url": reverse("api-visit-worklist"),
                "session_url": reverse("api-visit-session"),
                "sync_url": reverse("api-visit-sync"),
                "sync_batch_url": reverse("api-visit-sync-batch"),
                "teacher_visitors_max": TEACHER_VISITORS_MAX,
                "service_worker_url": reverse("fieldwork:service_worker"),
                "manifest_url": reverse("fieldwork:manifest"),
                "scope": reverse("fieldwork:app"),
                # The status rules the form checks before storing (services.change_status).
                "on_roll_statuses": list(ON_ROLL_STATUSES),
                "in_school_status": EnrollmentStatus.IN_SCHOOL,
                "outside_county_status": EnrollmentStatus.OUTSIDE_COUNTY,
            },
            "strings": app_strings(),
        },
    )


@require_GET
def service_worker(request):
    """static/pwa/sw.js, served under /visits/ so that its scope covers the app, preceded by the
    list of what it caches (the static files' URLs as this deployment names them). Its version
    changes with that list and the worker's text, so that a deployment replaces it."""
    path = finders.find("pwa/sw.js")
    with open(path, encoding="utf-8") as source:
        text = source.read()
    config = {
        "app": reverse("fieldwork:app"),
        "static": [static(name) for name in PRECACHED_STATIC],
        "staticPrefix": static(""),
    }
    version = hashlib.sha256((json.dumps(config) + text).encode()).hexdigest()[:12]
    config["version"] = version
    body = f"const CONFIG = {json.dumps(config)};\n{text}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("fieldwork:app")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    app_url = reverse("fieldwork:app")
    data = {
        "name": _("My household visits"),
        "short_name": _("My visits"),
        "description": _("The worklist and visit form for household visits, also without signal."),
        "start_url": app_url,
        "scope": app_url,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "lang": "zh-CN",
        "icons": [
            {"src": static("pwa/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("pwa/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("pwa/icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
