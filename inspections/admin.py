"""Admin: the area list and bureau sections are edited here; the records of the procedure are
read-only (every change goes through the services). Complaints are not listed at all: the
complainant's identity is for the handlers, who see it in the application."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ScopedHistoryAdmin

from .models import Area, BureauSection, Campaign, Inspection, InspectionGroup, Issue, IssueEvent


@admin.register(Area)
class AreaAdmin(ScopedHistoryAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]


@admin.register(BureauSection)
class BureauSectionAdmin(ScopedHistoryAdmin):
    list_display = ["name", "county"]
    list_select_related = ["county"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "county", "start_date", "end_date"]
    list_select_related = ["county"]


@admin.register(InspectionGroup)
class InspectionGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "county", "campaign"]
    list_select_related = ["county", "campaign"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["date", "unit_kind", "county", "campaign"]
    list_select_related = ["county", "campaign"]
    raw_id_fields = ["school", "township", "section", "group", "campaign"]


class IssueEventInline(admin.TabularInline):
    model = IssueEvent
    extra = 0
    fields = ["on", "action", "from_status", "to_status", "note", "actor"]
    readonly_fields = fields
    can_delete = False


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ["number", "unit_kind", "status", "deadline", "county"]
    list_filter = ["status", "unit_kind"]
    list_select_related = ["county"]
    raw_id_fields = ["school", "township", "section", "inspection", "complaint", "campaign"]
    inlines = [IssueEventInline]
