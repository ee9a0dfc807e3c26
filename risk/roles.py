"""Who does what with the dropout-risk warning. Reading follows scope (`for_user()`)."""

from enrollment.roles import Role

# The county administrator sets the factors' points for the county.
WEIGHT_ROLES = frozenset({Role.COUNTY_ADMIN})
# Recomputing the scores or the backtest on demand: the bureau.
RUN_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# Who sees the risk list in the menu and the home queue: every role that works with children.
READ_ROLES = frozenset(
    {
        Role.COUNTY_ADMIN,
        Role.BUREAU_STAFF,
        Role.TOWNSHIP_OFFICIAL,
        Role.VILLAGE_CADRE,
        Role.SCHOOL_STAFF,
        Role.AUDITOR,
        Role.INSPECTOR,
    }
)
