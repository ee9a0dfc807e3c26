"""Who does what with the annual summary (年度工作数据). Reading follows scope: the county's
summary is read by county-scoped users, a township's by its own officials too."""

from enrollment.roles import Role

# Generating a summary (a snapshot of the year's figures): the bureau for the county and any
# township, a township official for their own township.
GENERATE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
# Approving (审核) locks the year's figures: the bureau only.
APPROVE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# Who opens the page at all (the menu): every role that reads a summary in its scope.
READ_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.AUDITOR, Role.INSPECTOR}
)
