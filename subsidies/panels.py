"""What subsidies add to the registry's child page: the payments the child received and what
the latest entitlement check found still due (应享尽享), within the user's scope."""

from .models import Gap, GapRun, Payment


def child_panel(request, child):
    user = request.user
    payments = list(
        Payment.objects.for_user(user)
        .filter(child=child)
        .select_related("programme")
        .order_by("-period", "-pk")[:20]
    )
    latest_runs = GapRun.objects.filter(
        status=GapRun.Status.DONE, county_id=child.village.township.county_id
    ).order_by("-finished_at", "-pk")
    gaps = list(
        Gap.objects.for_user(user)
        .filter(child=child, run__in=latest_runs.values("pk")[:1])
        .select_related("programme", "run")
    )
    return "subsidies/child_panel.html", {"payments": payments, "gaps": gaps}
