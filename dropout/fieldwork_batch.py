"""The batch sync of 我的走访: a phone back in signal sends its queued visits in one request, in
the order they were entered, instead of one request each (with fifty officials syncing at
once, the cost of each request — session, authentication, middleware — weighed more than the
visit itself).

Each entry is applied as the single sync applies it (fieldwork_api.apply_entry: scope 404,
role 403, conflict 409, the form's validation, audit and history), in its own transaction: one
entry's conflict or error never blocks or rolls back another. Each entry carries its own
idempotency key, `client_entry`; the first successful answer of an entry is kept under it (a
core IdempotencyKey of the user), so a retry of the whole batch — after a lost answer, or with
more entries queued since — replays the entries already applied instead of recording them
twice. A concurrent duplicate waits on the key's unique index and then replays too.

Later entries of the same child that were based on the version an earlier entry of the batch
changed (a status change, then another visit) are based on that entry: they follow it, as the
phone does between single syncs.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core import audit
from core.errors import DomainError, TransitionRefused
from core.idempotency import purge_expired
from core.models import IdempotencyKey

from .fieldwork_api import (
    ChildStateSerializer,
    RecordVisitRolePermission,
    VisitSyncSerializer,
    answer_only,
    apply_entry,
)

MAX_ENTRIES = 50
# The entry keys live beside the API's Idempotency-Key values of the same user.
KEY_PREFIX = "visit-entry:"


class BatchEntrySerializer(VisitSyncSerializer):
    client_entry = serializers.CharField(
        max_length=64,
        help_text="The entry's idempotency key (the phone's id of the entry and its revision): "
        "sent again, the entry is answered from its first success, never recorded twice.",
    )
    attachment = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Multipart only: the entries go in the `entries` part as JSON, and an entry's "
        "`attachment` names the part that holds its photo.",
    )


@answer_only
class EntryOutcomeSerializer(serializers.Serializer):
    client_entry = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=["synced", "conflict", "invalid", "refused", "forbidden", "not_found"]
    )
    status = serializers.IntegerField(
        help_text="What the single sync would have answered: 201, 409, 400, 403 or 404."
    )
    replayed = serializers.BooleanField(help_text="Applied by an earlier send of this entry.")
    visit = serializers.IntegerField(required=False)
    persuasion = serializers.IntegerField(required=False, allow_null=True)
    state = ChildStateSerializer(required=False, help_text="Synced: the child's new version.")
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    seen = ChildStateSerializer(required=False, help_text="Conflict: the phone's version.")
    current = ChildStateSerializer(required=False, help_text="Conflict: the server's version.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid or refused: the messages by field.",
    )


def fingerprint(entry: dict) -> str:
    """What the entry asks for (its fields as sent; a photo by name and size): the same key
    with other content is refused, as the API's Idempotency-Key is."""
    plain = {
        name: (f"{value.name}:{value.size}" if hasattr(value, "size") else value)
        for name, value in entry.items()
    }
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()


def read_entries(request) -> list:
    """The entries of the request: a JSON body's `entries`, or a multipart body's `entries`
    part (JSON) whose entries name their photo's part in `attachment`."""
    entries = request.data.get("entries")
    multipart = request.content_type.startswith("multipart/")
    if multipart and isinstance(entries, str):
        try:
            entries = json.loads(entries)
        except ValueError:
            entries = None
    if not isinstance(entries, list) or not entries:
        raise exceptions.ValidationError({"entries": [_("Send a list of queued visits.")]})
    if len(entries) > MAX_ENTRIES:
        raise exceptions.ValidationError(
            {"entries": [_("At most %(count)s visits in one request.") % {"count": MAX_ENTRIES}]}
        )
    seen_keys = set()
    for entry in entries:
        key = entry.get("client_entry") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key.strip() or len(key) > 64 or key in seen_keys:
            raise exceptions.ValidationError(
                {"entries": [_("Each visit needs its own client_entry (at most 64 characters).")]}
            )
        seen_keys.add(key)
        part = entry.get("attachment")
        if multipart and part:
            entry["attachment"] = request.FILES.get(str(part)) or "missing"
        elif not multipart:
            entry.pop("attachment", None)  # a JSON body carries no file
    return entries


def _failure(outcome: str, code: int, **body) -> dict:
    return {"outcome": outcome, "status": code, "replayed": False, **body}


def _errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            str(field): [
                str(message) for message in (value if isinstance(value, list) else [value])
            ]
            for field, value in detail.items()
        }
    return {"non_field_errors": [str(message) for message in detail]}


class Rebase:
    """Per child, the version its last applied entry of this batch moved it from and to."""

    def __init__(self):
        self.moved = {}

    def seen(self, child_id, seen_version: str) -> str:
        before, after = self.moved.get(child_id, (None, None))
        return after if seen_version == before else seen_version

    def applied(self, child_id, based_on: str, state: dict) -> None:
        if state and state.get("version") != based_on:
            self.moved[child_id] = (based_on, state["version"])


def sync_one(
    user, entry: dict, *, known: dict, rebase: Rebase, validator: BatchEntrySerializer
) -> dict:
    """One entry's outcome; writes its visit and its key in one transaction, or nothing.
    `validator` is the batch's one BatchEntrySerializer (its fields are built once, not per
    entry: DRF deep-copies every declared field for each new serializer)."""
    client_entry = entry["client_entry"]
    key = KEY_PREFIX + client_entry
    print_ = fingerprint(entry)
    if key in known:
        return _replay(known[key], print_, client_entry, entry, rebase)
    if entry.get("attachment") == "missing":
        return _failure("invalid", 400, errors={"attachment": [_("The photo was not sent.")]})
    try:
        data = dict(validator.run_validation(entry))
    except exceptions.ValidationError as error:
        return _failure("invalid", 400, errors=_errors(error.detail))
    based_on = data["seen_version"] = rebase.seen(data["child"], data["seen_version"])
    try:
        # The entry's audit entries are appended at its end (the chain's lock held from there
        # to the commit only, never while the visit is applied).
        with transaction.atomic(), audit.batched():
            # Claimed first: a concurrent send of the same entry waits here for this one.
            claim = IdempotencyKey.objects.create(
                user=user, key=key, kind=IdempotencyKey.Kind.API, fingerprint=print_
            )
            code, body = apply_entry(user, data, savepoint=False)  # the entry's transaction
            if code == status.HTTP_201_CREATED:
                claim.status_code = code
                claim.response = {"entry": body, "based_on": based_on, "child": data["child"]}
                claim.save(update_fields=["status_code", "response"])
            else:
                transaction.set_rollback(True)  # nothing written: the key stays free
    except IntegrityError:
        first = IdempotencyKey.objects.filter(user=user, key=key).first()
        if first is None or first.status_code is None:
            return _failure("refused", 409, detail=_("Sent twice at once; send it again."))
        return _replay(first, print_, client_entry, entry, rebase)
    except Http404:
        return _failure("not_found", 404, detail=_("Not found."))
    except exceptions.PermissionDenied as error:
        return _failure("forbidden", 403, detail=str(error.detail))
    except exceptions.ValidationError as error:
        return _failure("invalid", 400, errors=_errors(error.detail))
    except TransitionRefused as error:
        return _failure("refused", 409, detail=str(error.message))
    except DomainError as error:
        return _failure(
            "invalid", 400, errors={error.field or "non_field_errors": [str(error.message)]}
        )
    if code == status.HTTP_201_CREATED:
        rebase.applied(data["child"], based_on, body["state"])
        return {"outcome": "synced", "status": code, "replayed": False, **body}
    return {"outcome": "conflict", "status": code, "replayed": False, **body}


def _replay(first, print_: str, client_entry: str, entry: dict, rebase: Rebase) -> dict:
    stored = first.response or {}
    if first.fingerprint != print_ or "entry" not in stored:
        return _failure(
            "refused",
            409,
            client_entry=client_entry,
            detail=_(
                "This Idempotency-Key was already used for a different request; "
                "send a new key for a new request."
            ),
        )
    body = stored["entry"]
    rebase.applied(stored.get("child"), stored.get("based_on"), body.get("state"))
    return {"outcome": "synced", "status": first.status_code, "replayed": True, **body}


class VisitSyncBatch(APIView):
    """Upload the queued visits of a phone in one request, in the order they were entered.
    Each entry is what the single sync (visit-sync/) takes, with its own `client_entry` as its
    idempotency key; the answer lists each entry's outcome in the same order: synced (with the
    child's new version), conflict (both versions; nothing written), invalid (the messages by
    field), forbidden or not_found. One entry's failure never affects the others; the whole
    batch sent again replays the entries already applied. Photos: send multipart, the entries
    as JSON in the `entries` part, each photo in its own part named by the entry's
    `attachment`."""

    permission_classes = [permissions.IsAuthenticated, RecordVisitRolePermission]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={
            "application/json": inline_serializer(
                "VisitSyncBatch", {"entries": BatchEntrySerializer(many=True)}
            ),
            "multipart/form-data": inline_serializer(
                "VisitSyncBatchMultipart",
                {
                    "entries": serializers.CharField(
                        help_text="The entries as a JSON list (as in the JSON body); an "
                        "entry's `attachment` names the part holding its photo."
                    )
                },
            ),
        },
        responses={
            200: inline_serializer(
                "VisitSyncBatchResult", {"results": EntryOutcomeSerializer(many=True)}
            )
        },
        examples=[
            OpenApiExample(
                "Two visits",
                request_only=True,
                value={
                    "entries": [
                        {
                            "client_entry": "visit-1a2b-0",
                            "child": 1,
                            "seen_version": "unverified.0.0.",
                            "visit_date": "2026-11-30",
                            "visitors": "村干部甲",
                            "teacher_visitors": 1,
                            "findings": "孩子在家",
                            "outcome": "at_home",
                        }
                    ]
                },
            )
        ],
    )
    def post(self, request):
        user = request.user
        entries = read_entries(request)
        purge_expired()
        keys = [KEY_PREFIX + entry["client_entry"] for entry in entries]
        known = {
            first.key: first
            for first in IdempotencyKey.objects.filter(
                user=user, key__in=keys, status_code__isnull=False
            )
        }
        rebase, validator = Rebase(), BatchEntrySerializer()
        results = []
        for entry in entries:
            outcome = sync_one(user, entry, known=known, rebase=rebase, validator=validator)
            outcome.setdefault("client_entry", entry["client_entry"])
            results.append(outcome)
        return Response({"results": results})
