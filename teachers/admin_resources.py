"""The admin's import and export of the teacher roster (教师名册) through django-import-export, in
the roster's columns, for a county administrator's counties only.

A row goes through the teacher services (register_teacher for a new resident ID, update_teacher
for a known one), so the rules that keep a teacher record right live there once: the resident ID
checked as everywhere (core.resident_id; sex and birth date come from it), the special-post term,
the employment history. A teacher's school changes only by a transfer, on the teacher's page.
The export shows resident IDs and phones in full only to the roles that see them on the teacher's
page (TEACHER_FULL_IDENTITY_ROLES), masked otherwise (core.masking)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets

from core.errors import DomainError
from core.resident_id import normalise
from enrollment.admin_resources import (
    ChoiceLabelWidget,
    ScopedForeignKeyWidget,
    ScopedResource,
)
from enrollment.models import School, Sex
from enrollment.permissions import has_any_role

from .models import PostType, Recruitment, Subject, Teacher, Title
from .roles import TEACHER_FULL_IDENTITY_ROLES
from .services import teachers as teacher_services

# What the roster sets on a known teacher (update_teacher's editable fields, but the ID: the
# row is found by it).
UPDATED_FIELDS = tuple(f for f in teacher_services.EDITABLE_FIELDS if f != "resident_id")


class ResidentIdWidget(widgets.CharWidget):
    """The ID as the project normalises it (full-width digits, spaces, a lower-case x)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return normalise("" if value is None else str(value))


class DayWidget(widgets.DateWidget):
    """A date; a spreadsheet's date cell (read as a datetime) gives its day."""

    def clean(self, value, row=None, **kwargs):
        value = super().clean(value, row, **kwargs)
        return value.date() if isinstance(value, datetime.datetime) else value


class SubjectsWidget(widgets.ManyToManyWidget):
    """Subjects by name, separated by 、 (as the roster writes them) or commas."""

    def __init__(self):
        super().__init__(Subject, separator="、", field="name")

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value)
        names = [n.strip() for n in text.replace(",", "、").replace("，", "、").split("、")]
        names = [n for n in names if n]
        found = {s.name: s for s in Subject.objects.filter(name__in=names)}
        unknown = [n for n in names if n not in found]
        if unknown:
            raise ValueError(_("Unknown subjects: %(names)s.") % {"names": "、".join(unknown)})
        return [found[n] for n in names]


class TeacherResource(ScopedResource):
    resident_id = fields.Field(
        attribute="resident_id", column_name="身份证号", widget=ResidentIdWidget()
    )
    name = fields.Field(attribute="name", column_name="姓名", widget=widgets.CharWidget())
    sex = fields.Field(
        attribute="sex", column_name="性别", widget=ChoiceLabelWidget(Sex.choices), readonly=True
    )
    birth_date = fields.Field(
        attribute="birth_date", column_name="出生日期", widget=DayWidget(), readonly=True
    )
    school = fields.Field(
        attribute="school", column_name="学校标识码", widget=ScopedForeignKeyWidget(School)
    )
    post_type = fields.Field(
        attribute="post_type", column_name="岗位类型", widget=ChoiceLabelWidget(PostType.choices)
    )
    recruitment = fields.Field(
        attribute="recruitment",
        column_name="招聘方式",
        widget=ChoiceLabelWidget(Recruitment.choices),
    )
    recruitment_year = fields.Field(
        attribute="recruitment_year", column_name="招聘年份", widget=widgets.IntegerWidget()
    )
    hire_date = fields.Field(attribute="hire_date", column_name="入职日期", widget=DayWidget())
    school_since = fields.Field(
        attribute="school_since", column_name="本校任职起始", widget=DayWidget()
    )
    title = fields.Field(
        attribute="title", column_name="职称", widget=ChoiceLabelWidget(Title.choices)
    )
    phone = fields.Field(attribute="phone", column_name="联系电话", widget=widgets.CharWidget())
    subjects = fields.Field(attribute="subjects", column_name="任教学科", widget=SubjectsWidget())
    status = fields.Field(
        attribute="status",
        column_name="状态",
        widget=ChoiceLabelWidget(Teacher.Status.choices),
        readonly=True,
    )

    class Meta:
        model = Teacher
        name = gettext_lazy("Teacher roster (教师名册)")
        fields = (
            "resident_id",
            "name",
            "sex",
            "birth_date",
            "school",
            "post_type",
            "recruitment",
            "recruitment_year",
            "hire_date",
            "school_since",
            "title",
            "phone",
            "subjects",
            "status",
        )
        import_id_fields = ("resident_id",)
        use_transactions = True
        # The services run full_clean() (with the sex and birth date the ID gives).
        clean_model_instances = False
        skip_unchanged = True
        report_skipped = True

    # --- export: the masking rule of the teacher's page -------------------------------------

    def _full(self) -> bool:
        return self.user is not None and has_any_role(self.user, TEACHER_FULL_IDENTITY_ROLES)

    def dehydrate_resident_id(self, teacher):
        return teacher.resident_id if self._full() else teacher.masked_resident_id

    def dehydrate_phone(self, teacher):
        return teacher.phone if self._full() else teacher.masked_phone

    def filter_export(self, queryset, **kwargs):
        return super().filter_export(queryset, **kwargs).select_related("school")

    # --- import: through the services -------------------------------------------------------

    def import_instance(self, instance, row, **kwargs):
        if instance.pk:
            self._before = Teacher.objects.get(pk=instance.pk)
        super().import_instance(instance, row, **kwargs)

    def _refused(self, error) -> ValidationError:
        field = getattr(error, "field", None)
        column = self._column(field) if field else None
        message = getattr(error, "message", None) or _(
            "You may not manage the teachers of this school."
        )
        return ValidationError({column: message} if column else message)

    def save_instance(self, instance, is_create, row, **kwargs):
        try:
            if is_create:
                created = teacher_services.register_teacher(
                    actor=self.user,
                    resident_id=instance.resident_id,
                    name=instance.name,
                    school=instance.school,
                    post_type=instance.post_type,
                    recruitment=instance.recruitment,
                    recruitment_year=instance.recruitment_year,
                    hire_date=instance.hire_date,
                    title=instance.title or Title.NONE,
                    phone=instance.phone,
                    school_since=instance.school_since,
                )
                instance.pk = created.pk
                instance._state.adding = False
                instance.refresh_from_db()  # what the service derived (sex, birth date, term)
                return
            before = self._before
            if instance.school_id != before.school_id:
                raise ValidationError(
                    {
                        self._column("school"): _(
                            "A teacher's school changes only by a transfer, on the teacher's page."
                        )
                    }
                )
            changes = {
                name: getattr(instance, name)
                for name in UPDATED_FIELDS
                if getattr(instance, name) != getattr(before, name)
            }
            if changes:
                teacher_services.update_teacher(actor=self.user, teacher=before, **changes)
                instance.refresh_from_db()
        except (DomainError, PermissionDenied) as error:
            raise self._refused(error) from None
        except ValidationError as error:  # the model's full_clean(), under the file's columns
            if not hasattr(error, "error_dict"):
                raise
            raise ValidationError(
                {self._column(key): value for key, value in error.error_dict.items()}
            ) from None

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute in ("school_since", "title") and row.get(field.column_name) in (
            None,
            "",
        ):
            return  # the service's default: the hire date, not yet graded
        super().import_field(field, instance, row, is_m2m, **kwargs)
