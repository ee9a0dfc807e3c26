"""The audit log page (search) and its Excel export, for those holding the view permission
(county administrators and auditors)."""

import datetime
import re

import django_filters
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from django.views.decorators.http import require_POST

from .export_jobs import export_redirect
from .exports import Column, Export
from .models import AuditEvent
from .pagination import query_without_page
from .people import person_name

PERMISSION = "core.view_auditevent"
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class AuditFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label=_("From"), widget=DATE_INPUT
    )
    until = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label=_("Until"), widget=DATE_INPUT
    )
    username = django_filters.CharFilter(lookup_expr="iexact", label=_("Username"))
    action = django_filters.ChoiceFilter(
        choices=AuditEvent.Action.choices, label=_("Action"), empty_label=_("All")
    )
    result = django_filters.ChoiceFilter(
        choices=AuditEvent.Result.choices, label=_("Outcome of the action"), empty_label=_("All")
    )
    object_type = django_filters.CharFilter(label=_("Record type"), lookup_expr="iexact")
    object_id = django_filters.CharFilter(label=_("Record number"))

    class Meta:
        model = AuditEvent
        fields = ["since", "until", "username", "action", "result", "object_type", "object_id"]


def _require(user):
    if not user.has_perm(PERMISSION):
        raise PermissionDenied


def _filtered(query: QueryDict):
    events = AuditEvent.objects.select_related("user").order_by("-at", "-pk")
    audit_filter = AuditFilter(query, queryset=events)
    return audit_filter, (audit_filter.qs if audit_filter.is_valid() else AuditEvent.objects.none())


@login_required
def audit_list(request):
    _require(request.user)
    audit_filter, events = _filtered(request.GET)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page:
        event.record_label, event.detail_label = record_label(event), detail_label(event)
    return render(
        request,
        "core/audit_list.html",
        {"filter": audit_filter, "page": page, "query": query_without_page(request)},
    )


@login_required
@require_POST
def audit_export(request):
    _require(request.user)
    query = {
        key: request.POST.getlist(key) for key in AuditFilter.base_filters if key in request.POST
    }
    return export_redirect(
        request,
        exporter="audit",
        title=f"审计日志 {datetime.date.today():%Y%m%d}",
        params={"query": query},
    )


def record_type_label(object_type: str) -> str:
    """ "inspections.complaint" as a person reads it: the model's name in Chinese."""
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    with override("zh-hans"):
        return str(model._meta.verbose_name)


DEFAULT_REPR = re.compile(r"^\w+ object \(\d+\)$")
DETAIL_KEYS = {
    "fields": _("changed"),
    "added": _("added"),
    "removed": _("removed"),
    "search": _("search by"),
    "found": _("found"),
    "shown": _("shown as"),
    "exporter": _("export"),
    "rows": _("rows"),
}
SEARCH_KINDS = {
    "resident_id": _("full resident ID"),
    "id_digits": _("last digits of a resident ID"),
    "text": _("name or address"),
}


def _model(object_type: str):
    from django.apps import apps

    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def record_label(event: AuditEvent) -> str:
    """`inspections.complaint #4` as a person reads it: 举报 #4, with the record's own name
    where it has one (never Django's `Area object (1)`)."""
    if not event.object_type:
        return ""
    if event.object_type == "search":
        return str(_("Search"))
    label = record_type_label(event.object_type)
    text = f"{label} #{event.object_id}" if event.object_id else label
    name = event.object_repr
    if name and not DEFAULT_REPR.match(name) and not name.startswith(label):
        text += f"（{name}）"
    return text


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a field since removed, or not a field: the key is all there is
        return name


def detail_label(event: AuditEvent) -> str:
    """The details with the fields' own labels (`改动: 答复日期、处理结果`), not their keys."""
    model = _model(event.object_type)
    parts = []
    for key, value in (event.detail or {}).items():
        if key == "fields" and model is not None:
            value = [_field_label(model, name) for name in value]
        elif key == "search":
            value = SEARCH_KINDS.get(value, value)
        elif key == "found" and isinstance(value, dict):
            value = [f"{name} {count}" for name, count in value.items()]
        if isinstance(value, list | tuple):
            value = "、".join(str(item) for item in value)
        parts.append(f"{DETAIL_KEYS.get(key, key)}: {value}")
    return "; ".join(parts)


def export_audit(user, params: dict) -> Export:
    if not user.has_perm(PERMISSION):
        raise PermissionDenied
    query = QueryDict(mutable=True)
    for key, values in params.get("query", {}).items():
        query.setlist(key, values)
    _audit_filter, events = _filtered(query)
    with override("zh-hans"):
        actions = {value: str(label) for value, label in AuditEvent.Action.choices}
        results = {value: str(label) for value, label in AuditEvent.Result.choices}
    columns = [
        Column("时间", 20),
        Column("用户", 14),
        Column("姓名", 12),
        Column("操作", 14),
        Column("对象类型", 22),
        Column("对象编号", 10),
        Column("对象", 24),
        Column("结果", 8),
        Column("IP地址", 16),
        Column("详情", 40),
    ]

    def rows():
        with override("zh-hans"):  # the workbook is Chinese whoever's language queued it
            yield from (_row(event) for event in events.iterator(chunk_size=2000))

    def _row(event):
        return [
            event.at,  # a real date and time in the workbook (CellWriter)
            event.username,
            person_name(event.user) if event.user else "",
            actions.get(event.action, event.action),
            record_type_label(event.object_type),
            event.object_id,
            record_label(event),
            results.get(event.result, event.result),
            event.ip or "",
            detail_label(event),
        ]

    return Export(title="审计日志", columns=columns, rows=rows(), total=events.count())
