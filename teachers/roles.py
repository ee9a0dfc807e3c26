"""Who may do what with the teacher workforce (scope is separate: it says where)."""

from enrollment.roles import Role

# Teacher records, special-post conversions, exchanges, allowance batches, trainings: the bureau.
MANAGE_TEACHERS_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# Who sees a teacher's full resident ID and phone on the teacher's page (never in lists).
TEACHER_FULL_IDENTITY_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# 送教上门 sessions: the staff of the teaching teacher's school, and the bureau.
HOME_TEACHING_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.SCHOOL_STAFF})
