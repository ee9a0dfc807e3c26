"""Who may do what in the inspections module (scope is separate: it says where)."""

from enrollment.roles import Role

# Record campaigns, groups, inspections, issues and complaints; withdraw and edit issues.
MANAGE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.INSPECTOR})
# Verify a submitted rectification (销号) or send it back.
VERIFY_ROLES = frozenset({Role.COUNTY_ADMIN, Role.INSPECTOR})
# Answer an issue addressed to one's own unit (checked against the unit, see answerable_by()).
RESPOND_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF}
)
# Besides a complaint's own handlers, who sees the complainant's identity and contact.
COMPLAINANT_IDENTITY_ROLES = frozenset({Role.COUNTY_ADMIN})
