"""Who may do what in the dropout module (scope is separate: it says where)."""

from enrollment.roles import Role

# Notices, penalties, further measures, closing and editing a case: the township (and the
# county administrator).
CASE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICIAL})
OPEN_CASE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
# Who carries a case and who answers for it (承办人, 包保责任人): the township or the bureau.
REASSIGN_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
PERSUASION_ROLES = frozenset(
    {
        Role.COUNTY_ADMIN,
        Role.BUREAU_STAFF,
        Role.TOWNSHIP_OFFICIAL,
        Role.VILLAGE_CADRE,
        Role.SCHOOL_STAFF,
    }
)
RETURN_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF})
ABSENCE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF})
EXEMPTION_REGISTER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF})
EXEMPTION_TOWNSHIP_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICIAL})
EXEMPTION_BUREAU_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# 法制审核 (行政处罚法 Art. 58) of a proposed penalty: the county bureau's legal staff.
LEGAL_REVIEW_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# Monthly dropout reports: generating a month on demand (reading follows scope).
MONTHLY_REPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# 审核 of a monthly report (a township's or the county's), which locks its month: the bureau of
# the report's county.
APPROVE_REPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# 行政处罚法 Art. 42: at least two officials take each enforcement step together (and two go on
# a persuasion that counts towards the notice to resume schooling).
MIN_OFFICERS = 2
