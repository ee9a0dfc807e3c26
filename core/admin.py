from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .models import ExportJob, ImportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log or a record written only by its service: the admin shows it, nobody edits it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history pages keep to the admin's queryset (get_queryset: a
    county administrator's counties). django-simple-history falls back to the latest historical
    row when the record is not in the queryset, so its history list, each version and the
    version's revert form would show, and revert, another county's record: 404 instead. A
    superuser keeps the history of deleted records."""

    def _in_queryset_or_404(self, request, object_id):
        if request.user.is_superuser:
            return
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._in_queryset_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_queryset_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    """The export log, read-only: who exported what, with which filters, how many rows."""

    list_display = ["created_at", "requested_by", "title", "status", "rows_written"]
    list_select_related = ["requested_by"]
    list_filter = ["status", "exporter"]
    readonly_fields = [f.name for f in ExportJob._meta.fields]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """The import log, read-only: file, importer, scope, who, when, counts, outcome."""

    list_display = [
        "created_at",
        "uploaded_by",
        "title",
        "scope_label",
        "status",
        "rows_total",
        "rows_new",
        "rows_changed",
        "rows_error",
    ]
    list_select_related = ["uploaded_by"]
    list_filter = ["status", "importer"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]
