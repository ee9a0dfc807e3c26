"""Read-only API lists of the risk warning, scoped by for_user(): the current scores with
their factors (the child named by id, name and village: the child's own API has the rest)
and the backtest's figures per month and scope."""

from rest_framework import serializers, viewsets

from enrollment.api import ScopedViewSetMixin

from .models import RiskBacktest, RiskScore


class RiskFactorSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    points = serializers.IntegerField()
    detail = serializers.CharField()


class RiskScoreSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name")
    village = serializers.IntegerField(source="child.village_id")
    factors = RiskFactorSerializer(many=True)

    class Meta:
        model = RiskScore
        fields = ["id", "child", "child_name", "village", "score", "computed_on", "factors"]


class RiskScoreViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Scores of the user's scope, highest first; `?min_score=` and `?village=` filter."""

    base_queryset = RiskScore.objects.all()
    serializer_class = RiskScoreSerializer

    def get_queryset(self):
        scores = super().get_queryset().select_related("child").order_by("-score", "child_id")
        params = self.request.query_params
        if params.get("min_score", "").isdigit():
            scores = scores.filter(score__gte=int(params["min_score"]))
        if params.get("village", "").isdigit():
            scores = scores.filter(child__village_id=int(params["village"]))
        return scores


class RiskBacktestSerializer(serializers.ModelSerializer):
    top5_recall = serializers.FloatField(allow_null=True)
    top10_recall = serializers.FloatField(allow_null=True)
    top5_precision = serializers.FloatField(allow_null=True)
    top10_precision = serializers.FloatField(allow_null=True)

    class Meta:
        model = RiskBacktest
        fields = [
            "id",
            "county",
            "township",
            "month",
            "population",
            "dropouts",
            "top5_flagged",
            "top5_hits",
            "top10_flagged",
            "top10_hits",
            "top5_recall",
            "top10_recall",
            "top5_precision",
            "top10_precision",
        ]


class RiskBacktestViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = RiskBacktest.objects.all()
    serializer_class = RiskBacktestSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("month", "township_id", "pk")
