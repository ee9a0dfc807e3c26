"""Who may do what in the subsidies module (scope is separate: it says where)."""

from enrollment.roles import Role

# The catalogue, approvals, the fund: the bureau.
CATALOGUE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
APPROVE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
FUND_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# Preparing a batch (lines, review) and identifying economic difficulty: schools and the bureau.
BATCH_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.SCHOOL_STAFF})
IDENTIFY_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.SCHOOL_STAFF})
# Donations may name a beneficiary school; the bureau records them.
DONATION_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# Who starts the entitlement check (everyone in scope reads its results).
GAP_CHECK_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# The schools' per-pupil public funds (义务教育生均公用经费): the bureau allocates them.
PUBLIC_FUND_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
