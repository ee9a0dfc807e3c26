"""The demo's poverty registers (a demo loader, run after the county is built): the households
the demo recorded as 脱贫户, 监测户, 低保 or 特困 stand on that register as if its list had been
imported (the register is their status's source), and the latest lists of the first two
townships no longer name one household each: they wait on the "left a register" page.
建档立卡 households keep their typed-in status (the register no longer exists since 2021)."""

import datetime

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.bulk_copy import copy_update

from ..models import Household, PovertyRegister, PovertyRegisterEntry
from ..registers import REGISTER_REASON


def load_registers_demo(county, users, scale) -> str:
    households = Household.objects.filter(
        village__township__county=county, poverty_status__in=PovertyRegister.values
    )
    if PovertyRegisterEntry.objects.filter(household__in=households).exists():
        return "poverty registers: already loaded"
    today = timezone.localdate()
    user = users.get("bureau")
    with transaction.atomic():
        rows = list(
            households.order_by("pk").values(
                "pk",
                "poverty_status",
                "poverty_registration_number",
                "poverty_registered_on",
                "village__township_id",
            )
        )
        missing, townships = set(), []
        for township in county.townships.order_by("code")[:2]:
            townships.append(township.pk)
        for township_id in townships:
            first = next((row for row in rows if row["village__township_id"] == township_id), None)
            if first is not None:
                missing.add(first["pk"])
        entries = [
            PovertyRegisterEntry(
                household_id=row["pk"],
                register=row["poverty_status"],
                number=row["poverty_registration_number"],
                listed_on=row["poverty_registered_on"] or datetime.date(2021, 6, 1),
                missing_since=today - datetime.timedelta(days=10) if row["pk"] in missing else None,
            )
            for row in rows
        ]
        bulk_create_with_history(
            entries,
            PovertyRegisterEntry,
            default_user=user,
            default_change_reason=REGISTER_REASON,
        )
        copy_update(
            Household,
            [
                {
                    "id": row["pk"],
                    "poverty_source": row["poverty_status"],
                    "poverty_registered_on": row["poverty_registered_on"]
                    or datetime.date(2021, 6, 1),
                }
                for row in rows
            ],
            fields=["poverty_source", "poverty_registered_on"],
            history_user=user,
            history_reason=REGISTER_REASON,
        )
    return f"poverty registers: {len(entries)} households listed, {len(missing)} to confirm"
