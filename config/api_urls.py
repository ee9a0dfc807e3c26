from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.models import ApiToken
from core.notification_api import NotificationViewSet
from core.security import ClientAddressThrottleMixin
from core.tokens import issue_token, live_tokens, revoke_token
from dropout import api as dropout_api
from dropout import fieldwork_api, fieldwork_batch
from enrollment import api as enrollment_api
from inspections import api as inspections_api
from risk import api as risk_api
from subsidies import api as subsidies_api
from teachers import api as teachers_api
from transfers import api as transfers_api
from yearend import api as yearend_api


class TokenThrottle(ClientAddressThrottleMixin, AnonRateThrottle):
    scope = "token"


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)

    def validate(self, attrs):
        # django-axes marks the Django request as locked out (its middleware then answers 429);
        # a refused login and an unknown username get the same answer.
        user = authenticate(
            request=self.context["django_request"],
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                _("Unable to log in with provided credentials."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once; send it as `Authorization: Token …`.")
    expiry = serializers.DateTimeField(
        help_text="When it expires unless used: every request moves this forward, up to the "
        "token's absolute lifetime."
    )


class ObtainToken(APIView):
    """POST username and password → {"token": ..., "expiry": ...}; failures count towards the
    login lockout, and the endpoint is throttled per client address."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = [TokenThrottle]
    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses={200: IssuedTokenSerializer})
    def post(self, request):
        django_request = request._request
        serializer = TokenRequestSerializer(
            data=request.data, context={"django_request": django_request}
        )
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # The login (issue_token audits it): as after a web login, the user's failed attempts
        # at this address are forgotten (axes) and last_login is set. Not through the
        # user_logged_in signal: that would also start a browser session's clocks.
        instance, token = issue_token(user=user, request=django_request, via="api")
        AxesProxyHandler.user_logged_in(type(user), django_request, user)
        update_last_login(None, user)
        return Response(IssuedTokenSerializer({"token": token, "expiry": instance.expiry}).data)


class Logout(APIView):
    """Revoke the token this request was made with."""

    authentication_classes = (TokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Revoked.")})
    def post(self, request):
        revoke_token(token=request.auth, actor=request.user, reason="api logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenSerializer(serializers.ModelSerializer):
    prefix = serializers.CharField(source="shown_prefix")
    absolute_expiry = serializers.DateTimeField()
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "created", "expiry", "absolute_expiry", "current"]

    def get_current(self, token) -> bool:
        request = self.context["request"]
        return isinstance(request.auth, ApiToken) and request.auth.pk == token.pk


class TokenList(APIView):
    """The caller's own live tokens (never the tokens themselves: only a few first characters)."""

    pagination_class = None

    @extend_schema(responses={200: TokenSerializer(many=True)})
    def get(self, request):
        tokens = live_tokens(request.user)
        return Response(TokenSerializer(tokens, many=True, context={"request": request}).data)


class TokenDetail(APIView):
    """Revoke one of the caller's own tokens (another user's answers 404)."""

    @extend_schema(responses={204: OpenApiResponse(description="Revoked.")})
    def delete(self, request, id: int):
        token = get_object_or_404(live_tokens(request.user), pk=id)
        revoke_token(token=token, actor=request.user, reason="revoked by its user")
        return Response(status=status.HTTP_204_NO_CONTENT)


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
router.register("notifications", NotificationViewSet, basename="notification")
router.register("annual-summaries", yearend_api.AnnualSummaryViewSet, basename="annual-summary")
router.register("annual-summary-runs", yearend_api.SummaryRunViewSet, basename="summary-run")
router.register("risk-scores", risk_api.RiskScoreViewSet, basename="risk-score")
router.register("risk-backtests", risk_api.RiskBacktestViewSet, basename="risk-backtest")
router.register("transfers", transfers_api.TransferViewSet, basename="transfer")

urlpatterns = [
    path("v1/auth/token/", ObtainToken.as_view(), name="api-token"),
    path("v1/auth/logout/", Logout.as_view(), name="api-logout"),
    path("v1/auth/tokens/", TokenList.as_view(), name="api-token-list"),
    path("v1/auth/tokens/<int:id>/", TokenDetail.as_view(), name="api-token-detail"),
    # 我的走访 (the offline visit workbench, dropout.fieldwork).
    path("v1/visit-worklist/", fieldwork_api.Worklist.as_view(), name="api-visit-worklist"),
    path("v1/visit-session/", fieldwork_api.SessionCheck.as_view(), name="api-visit-session"),
    path("v1/visit-sync/", fieldwork_api.VisitSync.as_view(), name="api-visit-sync"),
    path(
        "v1/visit-sync/batch/",
        fieldwork_batch.VisitSyncBatch.as_view(),
        name="api-visit-sync-batch",
    ),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
