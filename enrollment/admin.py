"""The admin, for county administrators: catalogues (places, schools), users and their roles."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedHistoryAdmin
from core.audit import AuditedChangeViewMixin

from . import services
from .admin_resources import SchoolResource, ScopedImportExportMixin, VillageResource
from .models import (
    SCOPE_KINDS,
    STATUS_FIELDS,
    Child,
    County,
    EnrollmentStatusChange,
    HelpPairing,
    Household,
    HouseholdVisit,
    Prefecture,
    RoleAssignment,
    School,
    Township,
    Village,
)
from .permissions import managed_assignments, managed_users
from .roles import ROLE_SCOPE_KIND, Role


@admin.register(Prefecture)
class PrefectureAdmin(ScopedHistoryAdmin):
    """市: set up by the deployment's operator (a county's administrator reads it only)."""

    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(County)
class CountyAdmin(ScopedHistoryAdmin):
    list_display = ["code", "name", "prefecture"]
    list_select_related = ["prefecture"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Which city a county belongs to is the operator's to say, not the county's.
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "prefecture"]


@admin.register(Township)
class TownshipAdmin(ScopedHistoryAdmin):
    list_display = ["code", "name", "county", "document_prefix"]
    list_select_related = ["county"]
    search_fields = ["code", "name"]
    list_filter = ["county"]


@admin.register(Village)
class VillageAdmin(ScopedImportExportMixin, ScopedHistoryAdmin):
    resource_classes = [VillageResource]
    list_display = ["code", "name", "township"]
    list_select_related = ["township"]
    search_fields = ["code", "name"]
    list_filter = ["township"]
    autocomplete_fields = ["township"]


@admin.register(School)
class SchoolAdmin(ScopedImportExportMixin, ScopedHistoryAdmin):
    resource_classes = [SchoolResource]
    list_display = ["code", "name", "township", "stage", "is_boarding", "is_rural"]
    list_select_related = ["township"]
    search_fields = ["code", "name"]
    list_filter = ["stage", "is_boarding", "is_rural", "township"]
    autocomplete_fields = ["township", "village"]


@admin.register(Household)
class HouseholdAdmin(ScopedHistoryAdmin):
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
class ChildAdmin(AuditedChangeViewMixin, ScopedHistoryAdmin):
    list_display = ["name", "masked_resident_id", "birth_date", "village", "status"]
    list_select_related = ["village"]
    search_fields = ["name", "=resident_id"]
    list_filter = ["status", "is_left_behind", "is_disabled", "is_orphan"]
    raw_id_fields = ["household"]
    autocomplete_fields = ["village"]
    readonly_fields = list(STATUS_FIELDS)
    inlines = [StatusChangeInline]


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(AuditedChangeViewMixin, ScopedHistoryAdmin):
    list_display = ["visit_date", "household", "outcome", "visitors"]
    list_select_related = ["household"]
    raw_id_fields = ["household", "children"]
    list_filter = ["outcome"]


@admin.register(HelpPairing)
class HelpPairingAdmin(ScopedHistoryAdmin):
    list_display = ["child", "partner_name", "partner_kind", "start_date", "end_date"]
    list_select_related = ["child"]
    raw_id_fields = ["child"]


# --- users and role assignments ---------------------------------------------------------------
# A county administrator (staff, not superuser) manages the users and role assignments of their
# own counties; only a superuser grants superuser, staff, groups or model permissions, or the
# county administrator role (which carries staff and the admin's model permissions). The
# querysets scope what is listed and reachable (another county's user is not found); the forms
# refuse places outside the counties; save_model refuses privileged changes however posted.

PRIVILEGED_USER_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


class RefusesPrivilegeMixin:
    """The user forms of a county administrator: a POST naming a privileged field (there is
    none on their form) is refused whole, not quietly stripped."""

    def clean(self):
        cleaned = super().clean()
        if any(name in self.data for name in PRIVILEGED_USER_FIELDS):
            raise ValidationError(
                _("Only a superuser may grant superuser, staff, groups or permissions.")
            )
        return cleaned


class RoleAssignmentForm(forms.ModelForm):
    """A role in a place of the kind the role needs; the county administrator role only from a
    superuser. `requester` is set per request by the admin."""

    requester = None

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", *SCOPE_KINDS, "post"]

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if not role:
            return cleaned
        kind = ROLE_SCOPE_KIND[Role(role)]
        places = [k for k in SCOPE_KINDS if cleaned.get(k)]
        if places != [kind]:
            raise ValidationError(
                _("The role %(role)s needs exactly one %(kind)s.")
                % {
                    "role": Role(role).label,
                    "kind": RoleAssignment._meta.get_field(kind).verbose_name,
                }
            )
        if not self.requester.is_superuser and self._touches_county_admin():
            raise ValidationError(
                _("Only a superuser may grant or change the county administrator role.")
            )
        return cleaned

    def _touches_county_admin(self) -> bool:
        if self.cleaned_data.get("role") == Role.COUNTY_ADMIN and self.has_changed():
            return True
        return (
            bool(self.instance.pk)
            and self.initial.get("role") == Role.COUNTY_ADMIN
            and ("role" in self.changed_data)
        )


def _scope_role_assignment_field(db_field, request, kwargs):
    """The places and users a county administrator may name: those of their counties."""
    if request.user.is_superuser:
        return
    place_models = {"county": County, "township": Township, "village": Village, "school": School}
    if db_field.name == "prefecture":  # a city's bureau is placed by the superuser only
        kwargs["queryset"] = Prefecture.objects.none()
    elif db_field.name in place_models:
        kwargs["queryset"] = place_models[db_field.name].objects.for_user(
            request.user, roles=[Role.COUNTY_ADMIN]
        )
    elif db_field.name == "user":
        kwargs["queryset"] = managed_users(request.user)


class RoleAssignmentFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        requester = self.form.requester
        if requester.is_superuser:
            return
        for form in self.deleted_forms:
            if form.instance.pk and form.instance.role == Role.COUNTY_ADMIN:
                raise ValidationError(
                    _("Only a superuser may grant or change the county administrator role.")
                )


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentForm
    formset = RoleAssignmentFormSet
    fields = ["role", *SCOPE_KINDS, "post"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = type("RoleAssignmentForm", (self.form,), {"requester": request.user})
        return super().get_formset(request, obj, **kwargs)

    def get_min_num(self, request, obj=None, **kwargs):
        # A county administrator's users hold a role in the county (else they would vanish
        # from the administrator's list: a user without a role is the superuser's to place).
        return 0 if request.user.is_superuser else 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*SCOPE_KINDS)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _scope_role_assignment_field(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # The inline belongs to the user page: a county administrator who may change the user
    # manages the user's roles there (the auth app's permissions are the user page's).
    def has_view_permission(self, request, obj=None):
        return CountyUserAdmin.has_change_permission(self, request, obj)

    def has_add_permission(self, request, obj=None):
        return CountyUserAdmin.has_change_permission(self, request, obj)

    def has_change_permission(self, request, obj=None):
        return CountyUserAdmin.has_change_permission(self, request, obj)

    def has_delete_permission(self, request, obj=None):
        return CountyUserAdmin.has_change_permission(self, request, obj)


def _roles_of(user) -> set[str]:
    if user.pk is None:
        return set()
    return set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


admin.site.unregister(User)


@admin.register(User)
class CountyUserAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]

    def get_queryset(self, request):
        return managed_users(request.user).order_by(*self.ordering)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.is_superuser:
            return form
        return type(form.__name__, (RefusesPrivilegeMixin, form), {})

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [*PRIVILEGED_USER_FIELDS, "last_login", "date_joined"]
        return fields

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return super().get_list_filter(request)
        return ("is_active",)

    def has_change_permission(self, request, obj=None):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if not user.is_superuser and (
            not user.has_perm("auth.change_user")
            or (obj is not None and not managed_users(user).filter(pk=obj.pk).exists())
        ):
            return False
        return True

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            before = (
                User.objects.filter(pk=obj.pk).values(*PRIVILEGED_USER_FIELDS[:2]).first()
                if change
                else {"is_superuser": False, "is_staff": False}
            )
            # The form has no such fields for a county administrator; this refuses them
            # however they got here (a forged POST, a future form).
            if any(getattr(obj, name) != before[name] for name in before):
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if not request.user.is_superuser and "groups" in form.cleaned_data:
            raise PermissionDenied
        if not request.user.is_superuser and "user_permissions" in form.cleaned_data:
            raise PermissionDenied
        before = _roles_of(form.instance)
        super().save_related(request, form, formsets, change)
        services.sync_role_groups(user=form.instance, roles_before=before)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedHistoryAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "county", "township", "village", "school"]
    list_select_related = ["user", "county", "township", "village", "school"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "county", "township", "village", "school"]

    def get_queryset(self, request):
        return managed_assignments(request.user).select_related(
            "user", "county", "township", "village", "school"
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type("RoleAssignmentForm", (form,), {"requester": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _scope_role_assignment_field(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Role.COUNTY_ADMIN and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        users = {obj.user}
        if change:  # the user it was given to before, if it moved
            users.add(RoleAssignment.objects.select_related("user").get(pk=obj.pk).user)
        before = {user: _roles_of(user) for user in users}
        super().save_model(request, obj, form, change)
        for user, roles in before.items():
            services.sync_role_groups(user=user, roles_before=roles)

    def delete_model(self, request, obj):
        user, roles = obj.user, _roles_of(obj.user)
        super().delete_model(request, obj)
        services.sync_role_groups(user=user, roles_before=roles)


admin.site.unregister(Group)


@admin.register(Group)
class SuperuserGroupAdmin(GroupAdmin):
    """Groups carry model permissions: only a superuser changes them (the role groups follow
    the role assignments by themselves)."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
