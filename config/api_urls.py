from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import AnonRateThrottle

from dropout import api as dropout_api
from enrollment import api as enrollment_api
from inspections import api as inspections_api
from subsidies import api as subsidies_api
from teachers import api as teachers_api


class TokenThrottle(AnonRateThrottle):
    scope = "token"


class ObtainToken(ObtainAuthToken):
    """POST username and password → {"token": ...}; failures count towards the login lockout."""

    throttle_classes = [TokenThrottle]

    def get_serializer_context(self):
        # django-axes marks the Django request as locked out; give it that request so that its
        # middleware answers 429 like the login page does.
        return {**super().get_serializer_context(), "request": self.request._request}


router = DefaultRouter()
router.register("townships", enrollment_api.TownshipViewSet, basename="township")
router.register("villages", enrollment_api.VillageViewSet, basename="village")
router.register("schools", enrollment_api.SchoolViewSet, basename="school")
router.register("households", enrollment_api.HouseholdViewSet, basename="household")
router.register("children", enrollment_api.ChildViewSet, basename="child")
router.register("visits", enrollment_api.VisitViewSet, basename="visit")
router.register("exemptions", dropout_api.ExemptionViewSet, basename="exemption")
router.register("dropout-cases", dropout_api.DropoutCaseViewSet, basename="dropout-case")
router.register("documents", dropout_api.DocumentViewSet, basename="document")
router.register("programmes", subsidies_api.ProgrammeViewSet, basename="programme")
router.register("batches", subsidies_api.BatchViewSet, basename="batch")
router.register("payments", subsidies_api.PaymentViewSet, basename="payment")
router.register("gaps", subsidies_api.GapViewSet, basename="gap")
router.register("fund-entries", subsidies_api.FundEntryViewSet, basename="fund-entry")
router.register("donations", subsidies_api.DonationViewSet, basename="donation")
router.register("inspections", inspections_api.InspectionViewSet, basename="inspection")
router.register("issues", inspections_api.IssueViewSet, basename="issue")
router.register("complaints", inspections_api.ComplaintViewSet, basename="complaint")
router.register("monthly-reports", dropout_api.MonthlyReportViewSet, basename="monthly-report")
router.register("report-runs", dropout_api.ReportRunViewSet, basename="report-run")
router.register("teachers", teachers_api.TeacherViewSet, basename="teacher")
router.register("exchanges", teachers_api.ExchangeViewSet, basename="exchange")
router.register("allowances", teachers_api.AllowanceViewSet, basename="allowance")
router.register("trainings", teachers_api.TrainingViewSet, basename="training")

urlpatterns = [
    path("v1/auth/token/", ObtainToken.as_view(), name="api-token"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
