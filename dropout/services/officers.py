"""The officials who take an enforcement step together (行政处罚法 Art. 42: at least two), and
how they are named on the documents."""

from django.utils.translation import gettext as _

from core.errors import DomainError
from core.people import person_name
from enrollment.permissions import may_over

from ..models import EnforcementCredential
from ..roles import CASE_ROLES, MIN_OFFICERS


def validate_officers(case, officers, roles=CASE_ROLES) -> list:
    """Two distinct officials, each holding one of `roles` over the case (by default a case
    role: the township's enforcement role)."""
    officers = list(dict.fromkeys(officers or []))
    if len(officers) < MIN_OFFICERS:
        raise DomainError(
            _("At least two different enforcement officers must take this step."),
            field="officers",
        )
    for officer in officers:
        if not officer.is_active or not may_over(officer, case, roles):
            raise DomainError(
                _("%(name)s holds no enforcement role over this case.")
                % {"name": person_name(officer)},
                field="officers",
            )
    return officers


def officers_text(officers) -> str:
    """张三（执法证号：…）、李四 — as printed on the documents."""
    numbers = dict(
        EnforcementCredential.objects.filter(user__in=officers).values_list("user_id", "number")
    )
    return "、".join(
        f"{person_name(o)}（执法证号：{numbers[o.pk]}）" if o.pk in numbers else person_name(o)
        for o in officers
    )


def serving_officers_text(officers, others: str = "") -> str:
    """送达人: the two officers, then others present at service (a village cadre as witness)."""
    return "；".join(filter(None, [officers_text(officers), others.strip()]))
