"""Admin: county legal texts are edited here; the procedure's records are read-only (every
change goes through the services, which the admin cannot bypass)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ScopedHistoryAdmin

from .models import (
    AbsenceReport,
    CaseEvent,
    CountyLegalTexts,
    DropoutCase,
    ExemptionRequest,
    OfficialDocument,
    Persuasion,
)


@admin.register(CountyLegalTexts)
class CountyLegalTextsAdmin(ScopedHistoryAdmin):
    list_display = ["county", "review_authority", "court"]
    list_select_related = ["county"]


class PersuasionInline(admin.TabularInline):
    model = Persuasion
    extra = 0
    fields = ["date", "visitors", "result", "recorded_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(PersuasionInline):
    model = CaseEvent
    fields = ["at", "action", "from_status", "to_status", "note", "actor"]
    readonly_fields = fields


@admin.register(DropoutCase)
class DropoutCaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "child", "township", "status", "cause", "opened_on", "last_action_on"]
    list_select_related = ["child", "township"]
    list_filter = ["status", "cause", "township"]
    search_fields = ["child__name", "=child__resident_id"]
    inlines = [PersuasionInline, EventInline]


@admin.register(ExemptionRequest)
class ExemptionRequestAdmin(ReadOnlyAdmin):
    list_display = ["child", "kind", "status", "start_date", "end_date"]
    list_select_related = ["child"]
    list_filter = ["status", "kind"]


@admin.register(OfficialDocument)
class OfficialDocumentAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "issued_on", "deadline", "voided_by"]
    list_filter = ["kind", "year"]
    search_fields = ["number"]


@admin.register(AbsenceReport)
class AbsenceReportAdmin(ReadOnlyAdmin):
    list_display = ["child", "school", "first_absent_on", "returned_on"]
    list_select_related = ["child", "school"]
