from django.urls import path

from .views import (
    batches,
    export,
    fund,
    gaps,
    identification,
    payments,
    programmes,
    public_funds,
)

app_name = "subsidies"

urlpatterns = [
    path("programmes/", programmes.programme_list, name="programme_list"),
    path("programmes/new/", programmes.programme_edit, name="programme_new"),
    path("programmes/<int:pk>/edit/", programmes.programme_edit, name="programme_edit"),
    path("batches/", batches.batch_list, name="batch_list"),
    path("batches/new/", batches.batch_new, name="batch_new"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/lines/", batches.batch_add_line, name="batch_add_line"),
    path("batches/<int:pk>/<str:action>/", batches.batch_action, name="batch_action"),
    path("payments/", payments.payment_list, name="payment_list"),
    path("payments/<int:pk>/remove/", batches.payment_remove, name="payment_remove"),
    path("payments/<int:pk>/<str:kind>/", batches.payment_correct, name="payment_correct"),
    path("totals/", payments.totals, name="totals"),
    path("gaps/", gaps.gap_runs, name="gap_runs"),
    path("gaps/<int:pk>/", gaps.gap_detail, name="gap_detail"),
    path("identifications/", identification.identification_list, name="identification_list"),
    path(
        "identifications/apply/", identification.identification_apply, name="identification_apply"
    ),
    path(
        "identifications/notice/",
        identification.identification_notice,
        name="identification_notice",
    ),
    path(
        "identifications/school/<str:action>/",
        identification.identification_school_action,
        name="identification_school_action",
    ),
    path(
        "identifications/<int:pk>/decide/",
        identification.identification_decide,
        name="identification_decide",
    ),
    path("fund/", fund.fund_ledger, name="fund_ledger"),
    path("fund/new/<str:kind>/", fund.fund_new, name="fund_new"),
    path("fund/entries/<int:pk>/<str:decision>/", fund.fund_decide, name="fund_decide"),
    path("donations/", fund.donation_list, name="donation_list"),
    path("donations/new/", fund.donation_new, name="donation_new"),
    path("donations/donors/", fund.donor_list, name="donor_list"),
    path("public-funds/", public_funds.public_fund_list, name="public_fund_list"),
    path("public-funds/new/", public_funds.public_fund_new, name="public_fund_new"),
    path("public-funds/<int:pk>/edit/", public_funds.public_fund_edit, name="public_fund_edit"),
    path("export/<str:name>/", export.export, name="export"),
]
