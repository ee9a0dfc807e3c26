"""Admin: catalogues (subjects, allowance tiers) are edited here; teacher records are read here
and changed through the pages, whose services keep the history and rules."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AllowanceTier, Exchange, SchoolRemoteness, Subject, Teacher, TrainingEvent


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]


@admin.register(AllowanceTier)
class AllowanceTierAdmin(SimpleHistoryAdmin):
    list_display = ["name", "county", "rank", "monthly_amount"]


@admin.register(SchoolRemoteness)
class SchoolRemotenessAdmin(SimpleHistoryAdmin):
    list_display = ["school", "tier"]
    list_select_related = ["school", "tier"]
    raw_id_fields = ["school"]


@admin.register(Teacher)
class TeacherAdmin(SimpleHistoryAdmin):
    list_display = ["name", "school", "post_type", "recruitment", "recruitment_year", "status"]
    list_filter = ["post_type", "recruitment", "status"]
    list_select_related = ["school"]
    search_fields = ["name"]
    raw_id_fields = ["school"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Exchange)
class ExchangeAdmin(SimpleHistoryAdmin):
    list_display = ["teacher", "from_school", "to_school", "kind", "start_date", "end_date"]
    list_select_related = ["teacher", "from_school", "to_school"]
    raw_id_fields = ["teacher", "from_school", "to_school"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(TrainingEvent)
class TrainingEventAdmin(SimpleHistoryAdmin):
    list_display = ["title", "level", "start_date", "hours", "provider"]
    list_filter = ["level"]
