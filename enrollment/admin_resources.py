"""The admin's import and export of the reference catalogues (django-import-export): villages
with their 12-digit statistical codes and schools with their 10-digit identification codes, in
the columns the county files them under.

A county administrator reads and writes only their counties' rows: the export is the admin's
scoped queryset, a row naming another county's township or record is refused with the row and
column, and an import is all-or-nothing (one transaction, rolled back on any row's error, after a
dry run the administrator confirms). The model's own validators and full_clean() decide what a
valid code is; each change keeps its history row with the importing user; each confirmed import
and each export is one audit event (counts, never the rows)."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.tmp_storages import CacheStorage

from core import audit
from core.models import AuditEvent

from .models import School, Township, Village
from .permissions import has_any_role
from .roles import Role

ADMIN_ROLES = (Role.COUNTY_ADMIN,)


def administers(user) -> bool:
    """Whether the user may import and export catalogues in the admin: a superuser, or a staff
    user holding the county administrator role."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or has_any_role(user, ADMIN_ROLES)


def scoped(model, user):
    """The rows of `model` the user administers: all for a superuser, else their counties'."""
    if user.is_superuser:
        return model.objects.all()
    return model.objects.for_user(user, roles=list(ADMIN_ROLES))


class CodeWidget(widgets.CharWidget):
    """A code as text: a spreadsheet that stored it as a number gives it back without `.0`."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()


class ScopedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A place named by its code (all digits) or its name, looked up among the importing user's
    counties only, never by database id. `user` is set by the resource."""

    user = None

    def __init__(self, model, **kwargs):
        super().__init__(model, field="code", **kwargs)

    def get_queryset(self, value, row, *args, **kwargs):
        return scoped(self.model, self.user)

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        places = self.get_queryset(value, row)
        found = list(places.filter(**{"code" if text.isdigit() else "name": text})[:2])
        if not found:
            raise ValueError(
                _("“%(value)s” is not a %(kind)s of your county (give its code or name).")
                % {"value": text, "kind": self.model._meta.verbose_name}
            )
        if len(found) > 1:
            raise ValueError(
                _("Several %(kind)s are named “%(value)s”: give the code instead.")
                % {"value": text, "kind": self.model._meta.verbose_name_plural}
            )
        return found[0]

    def render(self, value, obj=None, **kwargs):
        return value.code if value is not None else ""


class ChoiceLabelWidget(widgets.Widget):
    """A choice by its Chinese label (as exported) or its stored value."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            return ""
        for stored, label in self.choices:
            if text in (stored, str(label)):
                return stored
        raise ValueError(
            _("“%(value)s” is not one of: %(allowed)s.")
            % {"value": text, "allowed": "、".join(str(label) for _v, label in self.choices)}
        )

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices).get(value, value or ""))


class YesNoWidget(widgets.Widget):
    """是/否 (also accepts 1/0, true/false)."""

    YES, NO = ("是", "1", "true", "yes", "y"), ("否", "0", "false", "no", "n")

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip().lower()
        if text in self.YES or value is True:
            return True
        if text in self.NO or value is False:
            return False
        raise ValueError(_("Write 是 or 否."))

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


class ScopedResource(resources.ModelResource):
    """A catalogue resource for one user's counties; subclasses name the columns."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field.widget, ScopedForeignKeyWidget):
                field.widget.user = user

    def get_queryset(self):
        # The instance loader finds a code anywhere, so that a row naming another county's
        # record is refused by name (after_init_instance) instead of passing as a new one.
        return self._meta.model.objects.all()

    def filter_export(self, queryset, **kwargs):
        return queryset.filter(pk__in=scoped(self._meta.model, self.user).values("pk"))

    def _column(self, attribute) -> str:
        for field in self.fields.values():
            if field.attribute == attribute:
                return field.column_name
        return attribute

    def after_init_instance(self, instance, new, row, **kwargs):
        if not new and not scoped(type(instance), self.user).filter(pk=instance.pk).exists():
            id_field = self._meta.import_id_fields[0]
            raise ValidationError(
                {
                    self._column(id_field): _(
                        "This code belongs to another county's record; it cannot be changed here."
                    )
                }
            )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's own rules (validators, full_clean), reported under the file's column
        names."""
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            raise ValidationError(
                {
                    (key if key == NON_FIELD_ERRORS else self._column(key)): value
                    for key, value in error.error_dict.items()
                }
            ) from None

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = self.user  # the history row names the importing user


class VillageResource(ScopedResource):
    code = fields.Field(attribute="code", column_name="统计用区划代码", widget=CodeWidget())
    name = fields.Field(attribute="name", column_name="名称", widget=widgets.CharWidget())
    township = fields.Field(
        attribute="township", column_name="所属乡镇", widget=ScopedForeignKeyWidget(Township)
    )

    class Meta:
        model = Village
        name = gettext_lazy("Villages (统计用区划代码)")
        fields = ("code", "name", "township")
        import_id_fields = ("code",)
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class SchoolResource(ScopedResource):
    code = fields.Field(attribute="code", column_name="学校标识码", widget=CodeWidget())
    name = fields.Field(attribute="name", column_name="名称", widget=widgets.CharWidget())
    stage = fields.Field(
        attribute="stage",
        column_name="学段/类型",
        widget=ChoiceLabelWidget(School.Stage.choices),
    )
    township = fields.Field(
        attribute="township", column_name="所属乡镇", widget=ScopedForeignKeyWidget(Township)
    )
    village = fields.Field(
        attribute="village", column_name="所在村", widget=ScopedForeignKeyWidget(Village)
    )
    is_boarding = fields.Field(attribute="is_boarding", column_name="寄宿制", widget=YesNoWidget())
    is_rural = fields.Field(attribute="is_rural", column_name="农村学校", widget=YesNoWidget())

    class Meta:
        model = School
        name = gettext_lazy("Schools (学校标识码)")
        fields = ("code", "name", "stage", "township", "village", "is_boarding", "is_rural")
        import_id_fields = ("code",)
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if (
            instance.village_id
            and instance.township_id
            and "village" not in errors
            and instance.village.township_id != instance.township_id
        ):
            errors["village"] = ValidationError(_("The village is not in the school's township."))
        super().validate_instance(instance, errors, validate_unique)


# --- the admin's side ----------------------------------------------------------------------------


class ConfirmStorage(CacheStorage):
    """The uploaded file between the dry run and its confirmation: in the shared cache (any web
    container may serve the confirmation), for an hour, removed once imported."""

    CACHE_LIFETIME = 3600


class ScopedImportExportMixin(ImportExportMixin):
    """django-import-export's admin buttons and pages for a county administrator: the admin's
    rows are their counties' (get_queryset), import and export are theirs alone, the import is
    all-or-nothing and is audited, as is the export."""

    import_formats = [XLSX, CSV]
    export_formats = [XLSX, CSV]
    tmp_storage_class = ConfirmStorage

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=scoped(self.model, request.user).values("pk"))

    def may_import(self, request) -> bool:
        """Beyond administering a county: the model permissions the admin's forms need."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}") and (
            request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        )

    def has_import_permission(self, request):
        return administers(request.user) and self.may_import(request)

    def has_export_permission(self, request):
        return administers(request.user)

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # One row's error, or a row refused on confirmation, leaves nothing written.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        counts = {
            "new": result.totals.get("new", 0),
            "changed": result.totals.get("update", 0),
            "unchanged": result.totals.get("skip", 0),
        }
        detail = {"importer": f"admin:{self.opts.label_lower}", "step": "commit", **counts}
        if result.has_errors() or result.has_validation_errors():
            # The file changed under the dry run's feet or the data did: all was rolled back.
            audit.record(
                audit.A.IMPORT,
                request=request,
                object_type=self.opts.label_lower,
                detail=detail,
                result=AuditEvent.Result.FAILED,
            )
            messages.error(
                request,
                _("The import was refused and nothing was written: %(rows)s rows have errors.")
                % {"rows": len(result.invalid_rows) + len(result.row_errors())},
            )
            app_label, model_name = self.get_model_info()
            return HttpResponseRedirect(
                reverse(f"admin:{app_label}_{model_name}_import", current_app=self.admin_site.name)
            )
        audit.record(
            audit.A.IMPORT, request=request, object_type=self.opts.label_lower, detail=detail
        )
        return super().process_result(result, request)

    def get_data_for_export(self, request, queryset, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        data = super().get_data_for_export(request, queryset, **kwargs)
        audit.record(
            audit.A.EXPORT,
            request=request,
            object_type=self.opts.label_lower,
            detail={"exporter": f"admin:{self.opts.label_lower}", "rows": len(data)},
        )
        return data
