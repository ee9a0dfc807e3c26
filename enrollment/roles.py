"""The eight roles (Django group names) and what each may do. Scope is separate: it says where."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("County bureau administrator")
    BUREAU_STAFF = "bureau_staff", _("County bureau staff")
    TOWNSHIP_OFFICIAL = "township_official", _("Township official")
    VILLAGE_CADRE = "village_cadre", _("Village cadre")
    SCHOOL_STAFF = "school_staff", _("School staff")
    INSPECTOR = "inspector", _("Inspector")
    AUDITOR = "auditor", _("Auditor")
    # 市教育局: reads its counties' figures (overview, monthly reports, annual summaries) and
    # approves nothing: it is in none of the role sets below nor any app's.
    PREFECTURE_VIEWER = "prefecture_viewer", _("Prefecture bureau (read-only)")


# The kind of place each role's scope must be.
ROLE_SCOPE_KIND = {
    Role.COUNTY_ADMIN: "county",
    Role.BUREAU_STAFF: "county",
    Role.TOWNSHIP_OFFICIAL: "township",
    Role.VILLAGE_CADRE: "village",
    Role.SCHOOL_STAFF: "school",
    Role.INSPECTOR: "county",
    Role.AUDITOR: "county",
    Role.PREFECTURE_VIEWER: "prefecture",
}

# Who may do what (within their scope). Reading needs only a scope; the auditor never writes.
REGISTER_CHILD_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
CHANGE_STATUS_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF}
)
RECORD_VISIT_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.VILLAGE_CADRE}
)
ASSIGN_PAIRING_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF}
)
# Roles that see a child's full resident ID and guardian phone on its page (never in lists).
FULL_IDENTITY_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF}
)
# 涉案未成年人 (a minor involved in a legal case): seen and set only by those who handle the case —
# the bureau (its dropout and case staff) and the child's township; never the village, the
# school or an inspector; the auditor reads the ledgers with the flag masked.
CASE_FLAG_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
# The county's catalogue of partner units (帮扶单位) and the school-year promotion (学年升级):
# county-wide, kept by the bureau.
PARTNER_UNIT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
PROMOTION_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
