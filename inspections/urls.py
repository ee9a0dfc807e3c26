from django.urls import path

from .views import catalogues, complaints, files, inspections, issues, ledger

app_name = "inspections"

urlpatterns = [
    path("", ledger.ledger, name="ledger"),
    path("ledger/export/", ledger.ledger_export, name="ledger_export"),
    path("issues/new/", issues.issue_new, name="issue_new"),
    path("issues/<int:pk>/", issues.issue_detail, name="issue_detail"),
    path("issues/<int:pk>/edit/", issues.issue_edit, name="issue_edit"),
    path("issues/<int:pk>/link/", issues.issue_link, name="issue_link"),
    path("issues/<int:pk>/evidence/", files.issue_evidence, name="issue_evidence"),
    path(
        "issues/<int:pk>/steps/<int:event_pk>/evidence/",
        files.issue_event_evidence,
        name="issue_event_evidence",
    ),
    path("issues/<int:pk>/<str:action>/", issues.issue_action, name="issue_action"),
    path("inspections/", inspections.inspection_list, name="inspection_list"),
    path("inspections/new/", inspections.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", inspections.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/attach/", inspections.inspection_attach, name="inspection_attach"),
    path(
        "inspections/<int:pk>/attachments/<int:attachment_pk>/",
        files.inspection_attachment,
        name="inspection_attachment",
    ),
    path("campaigns/", catalogues.campaign_list, name="campaign_list"),
    path("summary/", catalogues.campaign_summary, name="summary"),
    path("groups/", catalogues.group_list, name="group_list"),
    path("areas/", catalogues.area_list, name="area_list"),
    path("complaints/", complaints.complaint_list, name="complaint_list"),
    path("complaints/export/", complaints.complaint_export, name="complaint_export"),
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", complaints.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/step/", complaints.complaint_step, name="complaint_step"),
    path("complaints/<int:pk>/conclude/", complaints.complaint_conclude, name="complaint_conclude"),
    path("complaints/<int:pk>/handlers/", complaints.complaint_handlers, name="complaint_handlers"),
    path("complaints/<int:pk>/link/", complaints.complaint_link, name="complaint_link"),
]
