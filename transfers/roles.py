"""Who takes which step of a transfer (scope is separate: the side of the transfer it is)."""

from enrollment.roles import Role

# The sending side proposes a move (and marks a child moved out of the deployment): the
# child's township, or the county bureau over it.
PROPOSE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
# Between townships of one county the receiving township's officials decide.
TOWNSHIP_ACCEPT_ROLES = frozenset({Role.TOWNSHIP_OFFICIAL})
# Between counties of one deployment the receiving county's bureau decides.
COUNTY_ACCEPT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
# The destination's confirmation of a move out is recorded by the sending side.
CONFIRM_ROLES = PROPOSE_ROLES
