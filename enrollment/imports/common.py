"""What the registry's importers share: who may import, the history's reasons, the scope (the
county or a township) and the resident-ID cell."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from core.imports import IdStoredAsNumber, RowOutcome, SheetRow, clean_id, clean_text
from core.resident_id import ResidentIdError, parse_resident_id

from ..models import County, Sex, Township
from ..permissions import get_scoped_or_404, user_may
from ..roles import Role

POLICE_IMPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
COUNTY_IMPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
ROLL_IMPORT_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF}
)
BATCH = 2000
POLICE_REASON = "派出所户籍花名册导入"
ROLL_REASON = "学籍名单导入"


def scope_from_key(key: str, kinds: dict):
    kind, _sep, pk = (key or "").partition(":")
    if kind not in kinds or not pk.isdigit():
        raise Http404
    return kind, int(pk)


def sex_label(sex: str) -> str:
    return "男" if sex == Sex.MALE else "女"


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def parse_id_cell(outcome: RowOutcome, column: str, raw, today) -> str | None:
    try:
        number = clean_id(raw)
    except IdStoredAsNumber as error:
        outcome.error(column, raw, str(error))
        return None
    if not number:
        outcome.error(column, raw, _("The resident ID is empty."))
        return None
    try:
        parsed = parse_resident_id(number, today=today)
    except ResidentIdError as error:
        outcome.error(column, raw, str(error))
        return None
    outcome.parsed_id = parsed
    return parsed.number


def school_age_min() -> int:
    from django.conf import settings

    return settings.SCHOOL_AGE_MIN


def named_row(row: SheetRow, column: dict[str, str]) -> tuple[RowOutcome, str]:
    """A row's outcome, labelled with the child's name, which both imports require."""
    outcome = RowOutcome(row)
    outcome.parsed_id = None  # set by parse_id_cell
    name = clean_text(row.values["name"])
    outcome.label = name
    if not name:
        outcome.error(column["name"], row.values["name"], _("The name is empty."))
    return outcome, name


class CountyOrTownshipScope:
    """The scope of an import of the county's or a township's registers (the police extract,
    the 学籍 roster, the poverty and disability registers): the whole county for its
    administrators and bureau staff, one township for its officials too."""

    def scope_choices(self, user):
        choices = [
            (f"county:{county.pk}", f"{county.name}（{_('whole county')}）")
            for county in County.objects.for_user(user, roles=COUNTY_IMPORT_ROLES)
        ]
        choices += [
            (f"township:{township.pk}", township.name)
            for township in Township.objects.for_user(user, roles=POLICE_IMPORT_ROLES)
        ]
        return choices

    def resolve_scope(self, user, key):
        kind, pk = scope_from_key(key, {"county", "township"})
        if kind == "county":
            place = get_scoped_or_404(County.objects, user, pk=pk)
            roles = COUNTY_IMPORT_ROLES
        else:
            place = get_scoped_or_404(Township.objects.select_related("county"), user, pk=pk)
            roles = POLICE_IMPORT_ROLES
        if not user_may(user, type(place).objects, roles, place):
            raise PermissionDenied
        return place

    def scope_label(self, scope):
        return scope.name

    @staticmethod
    def county_id_of(scope) -> int:
        return scope.pk if isinstance(scope, County) else scope.county_id

    @staticmethod
    def place_filter(scope, path: str = "village__township") -> dict:
        """The lookup of a model's rows in the scope, `path` leading to their township."""
        if isinstance(scope, County):
            return {f"{path}__county": scope}
        return {path: scope}
