"""The API of 我的走访 (the offline visit workbench): the worklist a phone downloads, the session
check it makes before a sync, and the sync of one queued visit. Scoped through for_user(); a
retried sync with the same Idempotency-Key is answered once (core.idempotency)."""

import orjson
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import audit
from core.fields import TEXT_MAX_LENGTH, validate_record_date
from core.people import person_name
from core.services import today
from core.uploads import verify_document_upload
from enrollment.forms import manual_status_choices
from enrollment.models import (
    TEACHER_VISITORS_MAX,
    Child,
    EnrollmentStatus,
    Grade,
    HouseholdVisit,
    RoleAssignment,
    School,
)
from enrollment.permissions import has_any_role, user_may
from enrollment.roles import RECORD_VISIT_ROLES

from .fieldwork import (
    REASONS,
    ChildState,
    OfflineConflict,
    cases_due_for_persuasion,
    locked_for_sync,
    reasons_of,
    state_of_row,
    sync_offline_visit,
    worklist,
)
from .models import DropoutCase, Persuasion
from .roles import PERSUASION_ROLES

# --- the worklist ----------------------------------------------------------------------------


def answer_only(serializer_class):
    """A serializer that only describes an answer: nothing is read from a request through it,
    so its fields are read-only (the bounds of request fields do not apply)."""
    for field in serializer_class._declared_fields.values():
        field.read_only = True
    return serializer_class


@answer_only
class ChildStateSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="Send it back as `seen_version` with a visit.")
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    status_label = serializers.CharField()
    status_since = serializers.DateField(allow_null=True)
    case_id = serializers.IntegerField(allow_null=True)
    case_status = serializers.ChoiceField(
        choices=DropoutCase.Status.choices, allow_blank=True, help_text="Empty: no open case."
    )
    case_status_label = serializers.CharField(allow_blank=True)


@answer_only
class WorklistChildSerializer(serializers.Serializer):
    """One child to visit; identifiers masked as in every list (core.masking)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField()
    resident_id = serializers.CharField(source="masked_resident_id", allow_blank=True)
    household = serializers.IntegerField(source="household_id")
    household_head = serializers.CharField(source="household.head_name")
    address = serializers.CharField(source="household.address")
    village = serializers.CharField(source="village.name")
    village_id = serializers.IntegerField()
    township = serializers.CharField(source="village.township.name")
    township_id = serializers.IntegerField(source="village.township_id")
    county_id = serializers.IntegerField(source="village.township.county_id")
    guardian_name = serializers.CharField(allow_blank=True)
    guardian_relation = serializers.CharField(allow_blank=True)
    guardian_phone = serializers.CharField(source="masked_guardian_phone", allow_blank=True)
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    school = serializers.IntegerField(source="current_school_id", allow_null=True)
    school_name = serializers.CharField(source="current_school.name", default="")
    grade = serializers.IntegerField(allow_null=True)
    class_name = serializers.CharField(allow_blank=True)
    last_visit = serializers.DateField(allow_null=True)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=list(REASONS)))
    reason_labels = serializers.ListField(child=serializers.CharField())
    exemption_end = serializers.DateField(allow_null=True)
    may_persuade = serializers.BooleanField(
        help_text="An open case in which this user may record a persuasion."
    )
    state = ChildStateSerializer()


@answer_only
class HouseholdChildSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    birth_date = serializers.DateField()
    household = serializers.IntegerField(source="household_id")


@answer_only
class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


@answer_only
class SchoolChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    township = serializers.CharField(source="township.name")


@answer_only
class OfficerChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    county = serializers.IntegerField(allow_null=True)
    township = serializers.IntegerField(allow_null=True)
    village = serializers.IntegerField(allow_null=True)


@answer_only
class WorklistChoicesSerializer(serializers.Serializer):
    outcomes = ChoiceSerializer(many=True)
    statuses = ChoiceSerializer(many=True)
    grades = ChoiceSerializer(many=True)
    persuasion_results = ChoiceSerializer(many=True)
    schools = SchoolChoiceSerializer(many=True)
    officers = OfficerChoiceSerializer(
        many=True,
        help_text="Who may be named on a persuasion (two count towards the notice), with the "
        "place of their role: a case of that county, township or village.",
    )


@answer_only
class WorklistSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    username = serializers.CharField()
    children = WorklistChildSerializer(many=True)
    household_children = HouseholdChildSerializer(
        many=True, help_text="Every child of the worklist's households (the visit may name them)."
    )
    choices = WorklistChoicesSerializer()


def worklist_row(child, *, day, may_persuade: bool, labels: dict, due_child_ids: set) -> dict:
    """One row of `worklist()` as WorklistChildSerializer describes it (masked as lists are);
    `labels` (worklist_labels()) translated once per answer, not per row."""
    reasons = reasons_of(child, day=day, due_child_ids=due_child_ids)
    ending = child.ending_exemptions[0].end_date if child.ending_exemptions else None
    return {
        "id": child.pk,
        "name": child.name,
        "sex": child.sex,
        "birth_date": child.birth_date.isoformat(),
        "resident_id": child.masked_resident_id,
        "household": child.household_id,
        "household_head": child.household_head,
        "address": child.household_address,
        "village": child.village_name,
        "village_id": child.village_id,
        "township": child.township_name,
        "township_id": child.township_id,
        "county_id": child.county_id,
        "guardian_name": child.guardian_name,
        "guardian_relation": child.guardian_relation,
        "guardian_phone": child.masked_guardian_phone,
        "status": child.status,
        "status_label": labels["status"][child.status],
        "school": child.current_school_id,
        "school_name": child.school_name or "",
        "grade": child.grade,
        "class_name": child.class_name,
        "last_visit": child.last_visit.isoformat() if child.last_visit else None,
        "reasons": reasons,
        "reason_labels": [labels["reason"][reason] for reason in reasons],
        "exemption_end": ending.isoformat() if ending else None,
        "may_persuade": bool(child.open_cases) and may_persuade,
        "state": state_of_row(child).as_dict(labels=labels),
    }


def worklist_labels() -> dict:
    return {
        "status": {value: str(label) for value, label in EnrollmentStatus.choices},
        "case": {value: str(label) for value, label in DropoutCase.Status.choices},
        "reason": {key: str(label) for key, label in REASONS.items()},
    }


def officer_choices(rows) -> list[dict]:
    """The active users who may go on a persuasion of a case of the worklist's places (its
    villages, townships and counties), each with the place of their role; log_persuasion
    checks them again on the case."""
    villages = {child.village_id for child in rows}
    townships = {child.township_id for child in rows}
    counties = {child.county_id for child in rows}
    assignments = (
        RoleAssignment.objects.filter(role__in=PERSUASION_ROLES, user__is_active=True)
        .filter(
            Q(village_id__in=villages) | Q(township_id__in=townships) | Q(county_id__in=counties)
        )
        .select_related("user")
        .order_by("user__username", "pk")
    )
    return [
        {
            "id": assignment.user_id,
            "name": person_name(assignment.user),
            "county": assignment.county_id,
            "township": assignment.township_id,
            "village": assignment.village_id,
        }
        for assignment in assignments
    ]


def _choices(pairs) -> list[dict]:
    return [{"value": str(value), "label": str(label)} for value, label in pairs]


class RecordVisitRolePermission(permissions.BasePermission):
    """Reads need a scope; a sync needs a role that records visits (the auditor: 403)."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return has_any_role(request.user, RECORD_VISIT_ROLES)


class Worklist(APIView):
    """我的走访: the children of the user's scope to visit (unaccounted, suspected dropouts, open
    cases with a persuasion due, exemptions ending), with their households, guardians,
    addresses, status and school, masked as lists are, and the choices the visit form offers.
    The whole list in one answer: the phone stores it for the trip (nginx sends it compressed,
    deploy/nginx.conf)."""

    pagination_class = None

    @extend_schema(responses={200: WorklistSerializer})
    def get(self, request):
        user = request.user
        day = today()
        rows = list(worklist(user, day=day))
        may_persuade = has_any_role(user, PERSUASION_ROLES)
        labels = worklist_labels()
        due_child_ids = set(
            cases_due_for_persuasion(user, day=day).values_list("child_id", flat=True)
        )
        children = [
            worklist_row(
                child,
                day=day,
                may_persuade=may_persuade,
                labels=labels,
                due_child_ids=due_child_ids,
            )
            for child in rows
        ]
        household_children = (
            Child.objects.for_user(user)
            .filter(household_id__in={child.household_id for child in rows})
            .order_by("household_id", "birth_date", "pk")
            .values("id", "name", "birth_date", "household_id")
        )
        counties = {child.county_id for child in rows}
        schools = (
            School.objects.filter(township__county_id__in=counties)
            .select_related("township")
            .order_by("township__code", "name")
        )
        data = {
            "generated_at": timezone.now(),
            "username": user.get_username(),
            "children": children,
            "household_children": [
                {
                    "id": member["id"],
                    "name": member["name"],
                    "birth_date": member["birth_date"].isoformat(),
                    "household": member["household_id"],
                }
                for member in household_children
            ],
            "choices": {
                "outcomes": _choices(HouseholdVisit.Outcome.choices),
                "statuses": _choices(manual_status_choices()),
                "grades": _choices(Grade.choices),
                "persuasion_results": _choices(Persuasion.Result.choices),
                "officers": officer_choices(rows),
                "schools": [
                    {"id": school.pk, "name": school.name, "township": school.township.name}
                    for school in schools
                ],
            },
        }
        # Minors' data leaving for a phone: logged like an export (who, how many rows).
        audit.record(
            audit.A.EXPORT,
            request=request._request,
            object_type="dropout.worklist",
            object_repr="我的走访",
            detail={"rows": len(rows), "via": "api"},
        )
        # Built as plain data (WorklistSerializer documents it) and written by orjson: serializing
        # ~6,000 rows field by field through DRF doubled the time of a township's download, and
        # DRF's JSON renderer took as long again as building the rows.
        data["generated_at"] = data["generated_at"].isoformat()
        return HttpResponse(orjson.dumps(data), content_type="application/json")


class SessionCheck(APIView):
    """Whether the session (or token) is still good, and a fresh CSRF token for the sync's
    session-authenticated POSTs. 401/403 tells the phone to wipe what it stored."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "VisitSession",
                {"username": serializers.CharField(), "csrf_token": serializers.CharField()},
            )
        }
    )
    def get(self, request):
        return Response(
            {"username": request.user.get_username(), "csrf_token": get_token(request._request)}
        )


# --- the sync of one queued visit ------------------------------------------------------------


class VisitSyncSerializer(serializers.Serializer):
    """One visit entered offline, with the child's version as the phone saw it. The fields and
    their validation are the visit form's (enrollment.forms.HouseholdVisitForm)."""

    child = serializers.IntegerField(help_text="The child the visit was entered for.")
    seen_version = serializers.CharField(max_length=200)
    force = serializers.BooleanField(
        default=False, help_text="Apply although the child changed since (the official decided)."
    )
    client_entry = serializers.CharField(
        max_length=64, required=False, default="", help_text="The phone's id of the entry."
    )
    visit_date = serializers.DateField(validators=[validate_record_date])
    children = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Children of the household visited; the entry's child when empty.",
    )
    visitors = serializers.CharField(max_length=200)
    teacher_visitors = serializers.IntegerField(
        min_value=0,
        max_value=TEACHER_VISITORS_MAX,
        required=False,
        allow_null=True,
        default=0,
        help_text="How many of the visitors were teachers (千名教师进村入户); 0 when not given.",
    )
    findings = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    outcome = serializers.ChoiceField(choices=HouseholdVisit.Outcome.choices)
    follow_up = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    attachment = serializers.FileField(required=False, allow_null=True, default=None)
    new_status = serializers.ChoiceField(
        choices=manual_status_choices(), required=False, allow_blank=True, default=""
    )
    status_reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    school = serializers.IntegerField(required=False, allow_null=True, default=None)
    grade = serializers.ChoiceField(
        choices=Grade.choices, required=False, allow_null=True, default=None
    )
    class_name = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    outside_school_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    persuasion = serializers.BooleanField(
        default=False, help_text="Also record the visit as a persuasion (劝返) of the open case."
    )
    what_was_said = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    family_answer = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    result = serializers.ChoiceField(
        choices=Persuasion.Result.choices, required=False, allow_blank=True, default=""
    )
    officers = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Two officials who went (行政处罚法 Art. 42): then the persuasion counts "
        "towards the notice. Without them, `visitors` names who went and it does not count.",
    )

    def validate_attachment(self, upload):
        if not upload:
            return None
        from django.core.exceptions import ValidationError

        try:
            return verify_document_upload(upload).file
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def validate(self, attrs):
        if attrs["persuasion"]:
            errors = {
                name: [_("This field is required.")]
                for name in ("what_was_said", "family_answer", "result")
                if not attrs[name]
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


@answer_only
class SyncedSerializer(serializers.Serializer):
    visit = serializers.IntegerField()
    persuasion = serializers.IntegerField(allow_null=True)
    client_entry = serializers.CharField(allow_blank=True)
    state = ChildStateSerializer(help_text="The child after the visit (its new version).")


@answer_only
class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    client_entry = serializers.CharField(allow_blank=True)
    seen = ChildStateSerializer(help_text="The child as the phone saw it when prepared.")
    current = ChildStateSerializer(help_text="The child as it is on the server now.")


def seen_state(version: str) -> dict:
    """The version string read back into its parts (ChildState.version's format)."""
    status, change, case, case_status = ([*version.split("."), "", "", "", ""])[:4]
    state = ChildState(
        status=status if status in EnrollmentStatus.values else "",
        status_since=None,
        latest_change_id=int(change) if change.isdigit() and int(change) else None,
        case_id=int(case) if case.isdigit() and int(case) else None,
        case_status=case_status if case_status in DropoutCase.Status.values else "",
    )
    return {**state.as_dict(), "version": version}


def conflict_body(conflict: OfflineConflict, client_entry: str) -> dict:
    return {
        "detail": _(
            "The child's record changed after your phone was prepared; nothing was saved. "
            "Compare both versions and decide."
        ),
        "code": "conflict",
        "client_entry": client_entry,
        "seen": seen_state(conflict.seen_version),
        "current": conflict.current.as_dict(),
    }


def apply_entry(user, data: dict, *, savepoint: bool = True) -> tuple[int, dict]:
    """One queued visit (VisitSyncSerializer's validated data) applied in its own transaction:
    (201, SyncedSerializer's body) or (409, ConflictSerializer's body). The child is read
    through for_user() (outside the scope: Http404), the role is checked on it
    (PermissionDenied); a bad reference raises serializers.ValidationError and a refused rule
    DomainError — nothing is written then. `savepoint=False`: the caller's transaction is the
    entry's own and ends with whatever this raises (the conflict answered is rolled back inside
    the service's own block), so no savepoint is needed."""
    data = dict(data)
    client_entry = data.pop("client_entry")
    # The audit entries are appended at the end: the chain's lock is not held during the work.
    with transaction.atomic(savepoint=savepoint), audit.batched():
        # Scope, lock and the child's version in one query.
        child = get_object_or_404(
            locked_for_sync(Child.objects.for_user(user)), pk=data.pop("child")
        )
        if not user_may(user, Child.objects, RECORD_VISIT_ROLES, child):
            raise exceptions.PermissionDenied
        wanted = set(data.pop("children") or [child.pk])
        children = [child]
        if wanted != {child.pk}:  # other members of the household: each in the role's scope
            children = list(
                Child.objects.for_user(user, roles=RECORD_VISIT_ROLES).filter(
                    pk__in=wanted, household_id=child.household_id
                )
            )
            children = [child if other.pk == child.pk else other for other in children]
            if len(children) != len(wanted):
                raise serializers.ValidationError(
                    {"children": [_("Choose children of this household in your scope.")]}
                )
        school_id = data.pop("school")
        school = None
        if school_id is not None:
            school = School.objects.filter(
                pk=school_id, township__county_id=child.village.township.county_id
            ).first()
            if school is None:
                raise serializers.ValidationError({"school": [_("No such school in the county.")]})
        officer_ids = set(data.pop("officers"))
        officers = []
        if officer_ids:
            officers = list(get_user_model().objects.filter(pk__in=officer_ids, is_active=True))
            if len(officers) != len(officer_ids):
                raise serializers.ValidationError({"officers": [_("No such official.")]})
        persuasion = None
        if data.pop("persuasion"):
            persuasion = {name: data[name] for name in ("what_was_said", "family_answer", "result")}
            persuasion["officers"] = officers
        for name in ("what_was_said", "family_answer", "result"):
            data.pop(name)
        data["teacher_visitors"] = data.get("teacher_visitors") or 0
        seen_version = data.pop("seen_version")
        force = data.pop("force")
        try:
            result = sync_offline_visit(
                actor=user,
                child=child,
                seen_version=seen_version,
                force=force,
                visit={**data, "school": school, "children": children},
                persuasion=persuasion,
            )
        except OfflineConflict as conflict:
            return status.HTTP_409_CONFLICT, conflict_body(conflict, client_entry)
    return status.HTTP_201_CREATED, {
        "visit": result.visit.pk,
        "persuasion": result.persuasion.pk if result.persuasion else None,
        "client_entry": client_entry,
        "state": result.state.as_dict(),
    }


class VisitSync(APIView):
    """Upload one visit recorded offline. Send an `Idempotency-Key` (the entry's own id): a
    retry after a lost answer gets the first answer back and never records the visit twice.
    409 with both versions when the child changed since the phone was prepared; nothing is
    written then, and the same entry sent with `force` applies it anyway. A phone with several
    entries sends them in one request: visit-sync/batch/ (dropout.fieldwork_batch)."""

    permission_classes = [permissions.IsAuthenticated, RecordVisitRolePermission]

    @extend_schema(
        request=VisitSyncSerializer,
        responses={
            201: SyncedSerializer,
            409: OpenApiResponse(
                ConflictSerializer, description="The child changed since; nothing was written."
            ),
        },
    )
    def post(self, request):
        serializer = VisitSyncSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code, body = apply_entry(request.user, serializer.validated_data)
        serializer_class = (
            SyncedSerializer if code == status.HTTP_201_CREATED else ConflictSerializer
        )
        return Response(serializer_class(body).data, status=code)
