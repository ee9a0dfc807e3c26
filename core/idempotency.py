"""One create per submission, however often it is sent.

Forms: every create form carries a one-time key (`{% submission_key %}`, a hidden field made
when the form is shown). Its first successful POST (a redirect) claims the key; a resubmit, or a
second click that raced the first, is sent to the first result with a message instead of
creating the record again. A POST without the field is served as before (old pages, scripts).

API: a POST carrying an `Idempotency-Key` header is answered once: the same key from the same
user gets the first (successful) answer back, byte for byte, with `Idempotent-Replayed: true`;
the same key with another method, path or body is refused with 409. A failed answer (4xx, 5xx)
keeps nothing, so a corrected retry runs. The token endpoints are left out: their answers are
secrets and are never stored.

Both claim the key (a row unique per user and key) inside one transaction that also runs the
view: a concurrent duplicate waits on the unique index (PostgreSQL) or on the write lock
(SQLite, immediate transactions) until the first commits, then finds the claimed key and
replays. Keys are forgotten IDEMPOTENCY_KEY_TTL seconds after their first use.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyKey

FORM_FIELD = "submission_key"
API_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
API_PREFIX = "/api/"
# Token issue and revocation: their answers hold secrets, which are never stored.
EXCLUDED_PREFIXES = ("/api/v1/auth/",)
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# What a client may send: printable ASCII without spaces, like a UUID or a random string.
_API_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers whose body is kept for a replay (what a create answers).
_STORED_CONTENT_TYPES = ("application/json", "application/problem+json")


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def valid_form_key(value) -> bool:
    return isinstance(value, str) and bool(_FORM_KEY.match(value))


def _ttl() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL)


def purge_expired() -> None:
    """Forget keys older than the TTL (in its own short transaction, so that requests holding
    their claim open never wait for one another here)."""
    IdempotencyKey.objects.filter(created_at__lt=timezone.now() - _ttl()).delete()


def _claim(*, user, key: str, kind: str, fingerprint: str):
    """(claim, None) when this request is the first with the key, else (None, the first)."""
    for _attempt in range(3):
        try:
            with transaction.atomic():  # a savepoint: a duplicate leaves the outer one usable
                claim = IdempotencyKey.objects.create(
                    user=user, key=key, kind=kind, fingerprint=fingerprint
                )
            return claim, None
        except IntegrityError:
            # The first request has committed (the insert waited for it): read its row,
            # unless it expired and was purged in between (then claim again).
            first = IdempotencyKey.objects.filter(user=user, key=key).first()
            if first is not None:
                return None, first
    raise IntegrityError("idempotency key claimed and released repeatedly")


def _settle(claim: IdempotencyKey, *, success: bool, status_code: int, response: dict) -> None:
    """Keep the first successful answer; release the key of a failed one (nothing was made)."""
    connection = transaction.get_connection()
    if connection.needs_rollback:
        return  # the view's transaction failed: rolling back releases the claim as well
    try:
        if success:
            claim.status_code, claim.response = status_code, response
            claim.save(update_fields=["status_code", "response"])
        else:
            claim.delete()
    except DatabaseError:
        transaction.set_rollback(True)


def _user_of_api_request(request):
    """The API's user as the API would authenticate it (token or session), or None."""
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request
    from rest_framework.settings import api_settings

    # With the API's parsers: a session's CSRF check reads the body (request.POST), and a
    # failed read would leave the request anonymous for the view too (DRF's
    # _not_authenticated). The body has been read already (_api_fingerprint), so nothing here
    # consumes the stream the view reads.
    drf_request = Request(
        request,
        authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES],
        parsers=[cls() for cls in api_settings.DEFAULT_PARSER_CLASSES],
    )
    django_user = getattr(request, "user", None)
    try:
        user = drf_request.user
    except APIException:  # a bad token, a missing CSRF token: the view answers it
        # DRF leaves the request anonymous after a failed authentication; the view's own
        # authentication must run as if this look-up had never happened (e.g. answer 403).
        request.user = django_user
        return None
    return user if user is not None and user.is_authenticated else None


def _api_fingerprint(request) -> str:
    """What the request asks for: method, path, query and body. A form-encoded or multipart
    body is read as fields and files (its stream may be read only once, and DRF reuses them)."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"{name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"{name}@{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(first: IdempotencyKey) -> HttpResponse:
    stored = first.response
    response = HttpResponse(
        stored.get("body", ""),
        status=first.status_code,
        content_type=stored.get("content_type", "application/json"),
    )
    if stored.get("location"):
        response["Location"] = stored["location"]
    response[REPLAYED_HEADER] = "true"
    return response


def _api_refusal(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


class IdempotencyMiddleware:
    """Applies both rules above to every POST. Goes after the authentication, message and
    session-timeout middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            if API_HEADER in request.headers and not request.path.startswith(EXCLUDED_PREFIXES):
                return self._api(request)
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            key = request.POST.get(FORM_FIELD)
            if valid_form_key(key):
                return self._form(request, user, key)
        return self.get_response(request)

    # --- forms ---

    def _form(self, request, user, key: str):
        purge_expired()
        with transaction.atomic():
            claim, first = _claim(
                user=user,
                key=key,
                kind=IdempotencyKey.Kind.FORM,
                fingerprint=hashlib.sha256(request.path.encode()).hexdigest(),
            )
            if claim is not None:
                response = self.get_response(request)
                success = response.status_code in (301, 302, 303) and "Location" in response
                _settle(
                    claim,
                    success=success,
                    status_code=response.status_code,
                    response={"location": response.get("Location", "")},
                )
                return response
        messages.info(
            request,
            _("This form had already been sent; nothing was saved twice. Here is the result."),
        )
        return redirect(first.response.get("location") or request.path)

    # --- the API ---

    def _api(self, request):
        key = request.headers[API_HEADER]
        if not _API_KEY.match(key):
            return _api_refusal(
                _("The Idempotency-Key header must be 1 to 255 printable ASCII characters."), 400
            )
        # The body first (cached on the request), then the user (whose CSRF check reads it).
        fingerprint = _api_fingerprint(request)
        user = _user_of_api_request(request)
        if user is None:
            return self.get_response(request)  # the view refuses it
        purge_expired()
        with transaction.atomic():
            claim, first = _claim(
                user=user, key=key, kind=IdempotencyKey.Kind.API, fingerprint=fingerprint
            )
            if claim is not None:
                response = self.get_response(request)
                content_type = response.get("Content-Type", "").split(";")[0].strip()
                success = 200 <= response.status_code < 300 and (
                    content_type in _STORED_CONTENT_TYPES
                    and not getattr(response, "streaming", False)
                )
                _settle(
                    claim,
                    success=success,
                    status_code=response.status_code,
                    response={
                        "body": response.content.decode() if success else "",
                        "content_type": response.get("Content-Type", ""),
                        "location": response.get("Location", ""),
                    },
                )
                return response
        if first.kind != IdempotencyKey.Kind.API or first.fingerprint != fingerprint:
            return _api_refusal(
                _(
                    "This Idempotency-Key was already used for a different request; "
                    "send a new key for a new request."
                ),
                409,
            )
        return _replay(first)


def document_idempotency_key(result, generator, request, public):
    """drf-spectacular postprocessing hook: every POST of the API (the token endpoints aside)
    documents the optional Idempotency-Key header."""
    parameter = {
        "in": "header",
        "name": API_HEADER,
        "required": False,
        "description": (
            "Send the same key again (same user, same request) to get the first successful "
            "answer back instead of creating the record twice; the same key with another "
            "request is refused with 409. Keys are remembered for IDEMPOTENCY_KEY_HOURS."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
    }
    for path, path_item in result.get("paths", {}).items():
        operation = path_item.get("post")
        if not isinstance(operation, dict) or path.startswith(EXCLUDED_PREFIXES):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == API_HEADER for p in parameters):
            parameters.append(parameter)
    return result
