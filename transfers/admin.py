from django.contrib import admin

from core.admin import ScopedHistoryAdmin

from .models import Transfer


@admin.register(Transfer)
class TransferAdmin(ScopedHistoryAdmin):
    """Read-only: every step goes through the services (the pages and the API)."""

    list_display = ("child", "kind", "status", "from_township", "to_township", "proposed_on")
    list_filter = ("kind", "status")
    list_select_related = ("child", "from_township", "to_township")
    raw_id_fields = ("child", "from_household", "to_household", "proposed_by", "decided_by")
    search_fields = ("child__name", "letter_number", "destination")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
