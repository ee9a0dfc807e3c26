"""The demo's annual summaries: last year's county summary, approved (the year is locked), and
this year's for the county and the first township, drafts. Runs after every other app's demo
(yearend is the last installed app), so the summaries count what the others loaded."""

from django.utils import timezone

from enrollment.models import Township

from .models import AnnualSummary, SummaryRun
from .services import approve_summary, generate_summary


def load_yearend_demo(county, users, scale=None) -> str:
    if AnnualSummary.objects.filter(county=county).exists():
        return "annual summaries already present"
    if scale is not None and scale.name in ("county", "city"):
        return "annual summaries: generated on demand at this scale (the benchmark times it)"
    bureau = users["bureau"]
    year = timezone.localdate().year
    first = Township.objects.filter(county=county).order_by("code").first()
    made = []
    for township, made_year in ((None, year - 1), (None, year), (first, year)):
        summary = generate_summary(county=county, township=township, year=made_year, actor=bureau)
        # As the page's generation leaves it: the run that made the summary, done.
        SummaryRun.objects.create(
            county=county,
            township=township,
            year=made_year,
            requested_by=bureau,
            status=SummaryRun.Status.DONE,
            steps_done=1,
            summary=summary,
            finished_at=timezone.now(),
        )
        made.append(summary)
    approve_summary(summary=made[0], actor=bureau)
    return "annual summaries: last year approved, this year's county and first township drafts"
