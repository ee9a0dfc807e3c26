"""The API's shared machinery, written once: the exception handler that turns the services'
domain errors into answers, a JSON parser that refuses bodies too deeply nested, and the schema
hook that documents the error answers every operation can give."""

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from .concurrency import StaleEdit
from .errors import DomainError, TransitionRefused

# --- errors ----------------------------------------------------------------------------------


def exception_handler(exc, context):
    """A refused transition or a stale edit: 409 with the reason; any other business rule: 400
    on its field (or non_field_errors). Everything else as DRF answers it."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, DomainError | BadRequest):
        set_rollback()  # as DRF does for its own errors (a request in ATOMIC_REQUESTS)
    if isinstance(exc, TransitionRefused | StaleEdit):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DomainError):
        return Response(
            {exc.field or "non_field_errors": [exc.message]}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, BadRequest):  # Django's own (e.g. too many fields in a form body)
        return Response({"detail": _("Bad request.")}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


# --- parsing ---------------------------------------------------------------------------------

# No body this API accepts is deeper than a list of rows of objects (three levels).
MAX_JSON_DEPTH = 32


def _depth(value) -> int:
    """The nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, but a body nested beyond MAX_JSON_DEPTH is a 400. Python's json
    raises RecursionError on ~1,000 levels (a 100,000-level body was a 500); the explicit
    limit refuses the much smaller depths no client sends either."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from error
        if _depth(data) > MAX_JSON_DEPTH:
            raise ParseError(_("JSON parse error - the body is nested too deeply."))
        return data


# --- schema ----------------------------------------------------------------------------------

ERROR_DETAIL = {
    "type": "object",
    "description": "An answer that is not the operation's result: why, in one sentence.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        "Refused input: a list of messages per field, `non_field_errors` for the body as a "
        "whole, or `detail` when the body or a parameter could not be read at all."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {},
}
ERROR_RESPONSES = {
    "400": ("ValidationError", "Bad input: nothing was changed."),
    "401": ("ErrorDetail", "Not signed in (no token, or an expired or revoked one)."),
    "403": ("ErrorDetail", "The user's role may not do this."),
    "404": ("ErrorDetail", "No such object in the user's scope (or no such page)."),
    "409": ("ErrorDetail", "Refused in the object's present state, or edited by someone else."),
    "429": ("ErrorDetail", "Too many requests: try again later."),
}
SAFE_METHODS = {"get", "head", "options"}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors it can answer
    with (409 only where it writes) and their bodies, so a client and the schemathesis run know
    every answer the API gives."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDetail", ERROR_DETAIL)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, (component, description) in ERROR_RESPONSES.items():
                if code == "409" and method in SAFE_METHODS:
                    continue
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{component}"}
                            }
                        },
                    },
                )
    return result


# --- serializers -----------------------------------------------------------------------------


class ScopedChoicesMixin:
    """A write serializer whose related fields offer only the rows the requesting user may pick:
    `scoped_choices` maps each field to its model and the roles that pick (None: the user's
    whole read scope), read through the model's for_user(). Without a request (the schema
    generator) the fields keep their declared querysets."""

    scoped_choices: dict[str, tuple] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        for name, (model, roles) in self.scoped_choices.items():
            field = self.fields[name]
            field = getattr(field, "child_relation", field)  # a many=True field's items
            field.queryset = model.objects.for_user(request.user, roles=roles)
