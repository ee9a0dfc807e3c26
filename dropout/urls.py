from django.urls import path

from enrollment import views as enrollment_views

from . import (
    assignment_views,
    ledger_views,
    penalty_views,
    prefecture_views,
    report_views,
    views,
)

app_name = "dropout"

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.open_case, name="open_case"),
    path("cases/export/", views.case_export, name="case_export"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/persuasion/", views.case_persuasion, name="case_persuasion"),
    path("cases/<int:pk>/notice/", views.case_notice, name="case_notice"),
    path("cases/<int:pk>/penalty/", penalty_views.case_penalty, name="case_penalty"),
    path(
        "cases/<int:pk>/prior-notice/",
        penalty_views.case_prior_notice,
        name="case_prior_notice",
    ),
    path("cases/<int:pk>/reply/", penalty_views.case_reply, name="case_reply"),
    path(
        "cases/<int:pk>/reply-review/",
        penalty_views.case_reply_review,
        name="case_reply_review",
    ),
    path(
        "cases/<int:pk>/hearing-request/",
        penalty_views.case_hearing_request,
        name="case_hearing_request",
    ),
    path("cases/<int:pk>/hearing/", penalty_views.case_hearing, name="case_hearing"),
    path(
        "cases/<int:pk>/legal-review/",
        penalty_views.case_legal_review,
        name="case_legal_review",
    ),
    path(
        "cases/<int:pk>/decision-service/",
        penalty_views.case_serve_decision,
        name="case_serve_decision",
    ),
    path("cases/<int:pk>/measure/", views.case_measure, name="case_measure"),
    path("cases/<int:pk>/return/", views.case_return, name="case_return"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/assign/", assignment_views.case_assign, name="case_assign"),
    path("documents/<int:pk>/", views.document_page, name="document_page"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/correct/", views.document_correct, name="document_correct"),
    path("exemptions/", views.exemption_list, name="exemption_list"),
    path("exemptions/new/", views.exemption_new, name="exemption_new"),
    path("exemptions/<int:pk>/", views.exemption_detail, name="exemption_detail"),
    path("exemptions/<int:pk>/<str:action>/", views.exemption_action, name="exemption_action"),
    path("exemptions/<int:pk>/files/<str:which>/", views.exemption_file, name="exemption_file"),
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/generate/", report_views.report_generate, name="report_generate"),
    path("reports/runs/<int:pk>/", report_views.report_run, name="report_run"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/workbook/", report_views.report_workbook, name="report_workbook"),
    path("reports/<int:pk>/approve/", report_views.report_approve, name="report_approve"),
    path(
        "reports/prefecture/<int:pk>/",
        prefecture_views.prefecture_reports,
        name="prefecture_reports",
    ),
    path("ledgers/", ledger_views.ledger_index, name="ledger_index"),
    path("ledgers/register/", ledger_views.document_register, name="document_register"),
    path("ledgers/<str:name>/export/", ledger_views.ledger_export, name="ledger_export"),
    path("absences/", views.absence_list, name="absence_list"),
    path("absences/new/", views.absence_new, name="absence_new"),
    path("absences/<int:pk>/back/", views.absence_back, name="absence_back"),
    # The suspected-dropout and dropout ledgers: the registry's ledger with a fixed status.
    path(
        "ledger/<str:kind>/<int:pk>/suspected/",
        enrollment_views.ledger,
        {"preset_status": "suspected_dropout"},
        name="suspected_ledger",
    ),
    path(
        "ledger/<str:kind>/<int:pk>/dropped-out/",
        enrollment_views.ledger,
        {"preset_status": "dropped_out"},
        name="dropout_ledger",
    ),
]
