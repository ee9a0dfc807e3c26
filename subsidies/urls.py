from django.urls import path

from . import views

app_name = "subsidies"

urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/new/", views.programme_edit, name="programme_new"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/lines/", views.batch_add_line, name="batch_add_line"),
    path("batches/<int:pk>/<str:action>/", views.batch_action, name="batch_action"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/<int:pk>/remove/", views.payment_remove, name="payment_remove"),
    path("payments/<int:pk>/<str:kind>/", views.payment_correct, name="payment_correct"),
    path("totals/", views.totals, name="totals"),
    path("gaps/", views.gap_runs, name="gap_runs"),
    path("gaps/<int:pk>/", views.gap_detail, name="gap_detail"),
    path("identifications/", views.identification_list, name="identification_list"),
    path("identifications/apply/", views.identification_apply, name="identification_apply"),
    path("identifications/notice/", views.identification_notice, name="identification_notice"),
    path(
        "identifications/school/<str:action>/",
        views.identification_school_action,
        name="identification_school_action",
    ),
    path(
        "identifications/<int:pk>/decide/",
        views.identification_decide,
        name="identification_decide",
    ),
    path("fund/", views.fund_ledger, name="fund_ledger"),
    path("fund/new/<str:kind>/", views.fund_new, name="fund_new"),
    path("fund/entries/<int:pk>/<str:decision>/", views.fund_decide, name="fund_decide"),
    path("donations/", views.donation_list, name="donation_list"),
    path("donations/new/", views.donation_new, name="donation_new"),
    path("donations/donors/", views.donor_list, name="donor_list"),
    path("export/<str:name>/", views.export, name="export"),
]
