"""The admin, for county administrators: catalogues (places, schools), users and their roles."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Child,
    County,
    EnrollmentStatusChange,
    HelpPairing,
    Household,
    HouseholdVisit,
    RoleAssignment,
    School,
    Township,
    Village,
)


@admin.register(County)
class CountyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Township)
class TownshipAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "county", "document_prefix"]
    list_select_related = ["county"]
    search_fields = ["code", "name"]
    list_filter = ["county"]


@admin.register(Village)
class VillageAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "township"]
    list_select_related = ["township"]
    search_fields = ["code", "name"]
    list_filter = ["township"]
    autocomplete_fields = ["township"]


@admin.register(School)
class SchoolAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "township", "stage", "is_boarding", "is_rural"]
    list_select_related = ["township"]
    search_fields = ["code", "name"]
    list_filter = ["stage", "is_boarding", "is_rural", "township"]
    autocomplete_fields = ["township", "village"]


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ["head_name", "village", "address", "poverty_status"]
    list_select_related = ["village"]
    search_fields = ["head_name", "address"]
    list_filter = ["poverty_status"]
    autocomplete_fields = ["village"]


class StatusChangeInline(admin.TabularInline):
    model = EnrollmentStatusChange
    extra = 0
    can_delete = False
    fields = ["effective_date", "status", "school", "grade", "reason", "recorded_by"]
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False  # status changes go through the status form (a service), never the admin


@admin.register(Child)
class ChildAdmin(SimpleHistoryAdmin):
    list_display = ["name", "masked_resident_id", "birth_date", "village", "status"]
    list_select_related = ["village"]
    search_fields = ["name", "=resident_id"]
    list_filter = ["status", "is_left_behind", "is_disabled", "is_orphan"]
    raw_id_fields = ["household"]
    autocomplete_fields = ["village"]
    readonly_fields = [
        "status",
        "status_since",
        "current_school",
        "grade",
        "class_name",
        "is_inclusive",
        "is_boarder",
        "outside_school_name",
        "outside_verified",
    ]
    inlines = [StatusChangeInline]


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(SimpleHistoryAdmin):
    list_display = ["visit_date", "household", "outcome", "visitors"]
    list_select_related = ["household"]
    raw_id_fields = ["household", "children"]
    list_filter = ["outcome"]


@admin.register(HelpPairing)
class HelpPairingAdmin(SimpleHistoryAdmin):
    list_display = ["child", "partner_name", "partner_kind", "start_date", "end_date"]
    list_select_related = ["child"]
    raw_id_fields = ["child"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "county", "township", "village", "school"]
    list_select_related = ["user", "county", "township", "village", "school"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "county", "township", "village", "school"]

    def save_model(self, request, obj, form, change):
        from .services import role_group

        super().save_model(request, obj, form, change)
        obj.user.groups.add(role_group(obj.role))
