"""The demo county: loads, is idempotent, and shows the procedure in every state."""

from django.core.management import call_command

from dropout.models import DropoutCase, ExemptionRequest, OfficialDocument
from enrollment.models import Child, County, EnrollmentStatus


def test_seed_demo_loads_every_state_and_is_idempotent(transactional_db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    county = County.objects.get(code="519901")
    children = Child.objects.filter(village__township__county=county)
    assert children.count() == 3780
    statuses = set(children.values_list("status", flat=True))
    assert {
        EnrollmentStatus.IN_SCHOOL,
        EnrollmentStatus.DROPPED_OUT,
        EnrollmentStatus.SUSPECTED_DROPOUT,
        EnrollmentStatus.UNVERIFIED,
    } <= statuses
    case_states = set(DropoutCase.objects.values_list("status", flat=True))
    assert case_states == set(DropoutCase.Status.values)
    assert DropoutCase.objects.filter(struck_off_on__isnull=False).exists()
    assert OfficialDocument.objects.filter(kind="penalty_decision").exists()
    pending = set(ExemptionRequest.objects.exclude(status="filed").values_list("status", flat=True))
    assert {"submitted", "township_approved"} <= pending

    before = (Child.objects.count(), DropoutCase.objects.count(), ExemptionRequest.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (
        Child.objects.count(),
        DropoutCase.objects.count(),
        ExemptionRequest.objects.count(),
    ) == before
