from django.urls import reverse
from django.utils.translation import gettext as _

from enrollment.extensions import NavMenu
from enrollment.roles import Role
from enrollment.scoping import user_roles

# Roles with a scope that sees teachers (village cadres see none).
READER_ROLES = {
    Role.COUNTY_ADMIN,
    Role.BUREAU_STAFF,
    Role.TOWNSHIP_OFFICIAL,
    Role.SCHOOL_STAFF,
    Role.INSPECTOR,
    Role.AUDITOR,
}


def teachers_menu(request):
    user = request.user
    if not (user.is_superuser or user_roles(user) & READER_ROLES):
        return None
    items = [
        ("teachers:teacher_list", _("Teachers")),
        ("teachers:staffing", _("Staffing and vacancies")),
        ("teachers:special_posts", _("Special-post teachers")),
        ("teachers:exchange_list", _("Exchanges")),
        ("teachers:rotation", _("Rotation shares")),
        ("teachers:allowance_list", _("Rural teacher allowance")),
        ("teachers:training_list", _("Training")),
        ("teachers:recruitment", _("Recruitment summary")),
        ("teachers:home_teaching_list", _("Home teaching (送教上门)")),
    ]
    return NavMenu(
        label=_("Teachers"),
        icon="person-badge",
        items=[{"url": reverse(name), "label": label} for name, label in items],
    )
