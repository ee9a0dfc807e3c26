from django.contrib import admin

from .models import ExportJob, ImportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log or a record written only by its service: the admin shows it, nobody edits it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
