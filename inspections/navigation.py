from django.urls import reverse
from django.utils.translation import gettext as _

from enrollment.extensions import NavMenu
from enrollment.scoping import user_roles


def inspections_menu(request):
    """Every role but the village cadre has a part here: units answer their issues, the county
    inspects, the auditor reads."""
    user = request.user
    if not user.is_authenticated:
        return None
    roles = user_roles(user)
    if not user.is_superuser and not roles - {"village_cadre"}:
        return None
    items = [
        {"url": reverse("inspections:ledger"), "label": _("Rectification ledger")},
        {"url": reverse("inspections:inspection_list"), "label": _("Inspections")},
    ]
    county_level = user.is_superuser or roles & {
        "county_admin",
        "bureau_staff",
        "inspector",
        "auditor",
    }
    if county_level:
        items += [
            {"url": reverse("inspections:complaint_list"), "label": _("Complaints")},
            {"url": reverse("inspections:summary"), "label": _("Campaign summary")},
            {"url": reverse("inspections:campaign_list"), "label": _("Campaigns")},
            {"url": reverse("inspections:group_list"), "label": _("Inspection groups")},
            {"url": reverse("inspections:area_list"), "label": _("Areas and sections")},
        ]
    return NavMenu(label=_("Inspections"), icon="clipboard-check", items=items)
