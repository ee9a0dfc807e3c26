"""Admin: catalogues (subjects, allowance tiers) are edited here; teacher records are read here
and changed through the pages, whose services keep the history and rules."""

from django.contrib import admin

from core.admin import ScopedHistoryAdmin
from core.audit import AuditedChangeViewMixin
from enrollment.admin_resources import ScopedImportExportMixin, administers
from enrollment.permissions import has_any_role

from .admin_resources import TeacherResource
from .models import (
    AllowanceTier,
    Exchange,
    HomeTeachingSession,
    SchoolRemoteness,
    Subject,
    Teacher,
    TrainingEvent,
)
from .roles import MANAGE_TEACHERS_ROLES


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]


@admin.register(AllowanceTier)
class AllowanceTierAdmin(ScopedHistoryAdmin):
    list_display = ["name", "county", "rank", "monthly_amount"]


@admin.register(SchoolRemoteness)
class SchoolRemotenessAdmin(ScopedHistoryAdmin):
    list_display = ["school", "tier"]
    list_select_related = ["school", "tier"]
    raw_id_fields = ["school"]


@admin.register(Teacher)
class TeacherAdmin(AuditedChangeViewMixin, ScopedImportExportMixin, ScopedHistoryAdmin):
    """Read here (a county administrator: their counties' teachers) and imported or exported as
    the roster (admin_resources), whose rows go through the teacher services."""

    resource_classes = [TeacherResource]
    list_display = ["name", "school", "post_type", "recruitment", "recruitment_year", "status"]
    list_filter = ["post_type", "recruitment", "status"]
    list_select_related = ["school"]
    search_fields = ["name"]
    raw_id_fields = ["school"]

    def has_module_permission(self, request):
        return super().has_module_permission(request) or administers(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or administers(request.user)

    def may_import(self, request) -> bool:
        return has_any_role(request.user, MANAGE_TEACHERS_ROLES)  # the services check per school

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Exchange)
class ExchangeAdmin(ScopedHistoryAdmin):
    list_display = ["teacher", "from_school", "to_school", "kind", "start_date", "end_date"]
    list_select_related = ["teacher", "from_school", "to_school"]
    raw_id_fields = ["teacher", "from_school", "to_school"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(TrainingEvent)
class TrainingEventAdmin(ScopedHistoryAdmin):
    list_display = ["title", "level", "kind", "programme", "start_date", "hours", "provider"]
    list_filter = ["level", "kind"]


@admin.register(HomeTeachingSession)
class HomeTeachingSessionAdmin(ScopedHistoryAdmin):
    """Read here; recorded through the page, whose service checks the child's status."""

    list_display = ["date", "child", "teacher", "hours"]
    list_select_related = ["child", "teacher"]
    raw_id_fields = ["child", "teacher", "recorded_by"]
    date_hierarchy = "date"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
