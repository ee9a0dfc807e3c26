from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("ledger/export/", views.ledger_export, name="ledger_export"),
    path("issues/new/", views.issue_new, name="issue_new"),
    path("issues/<int:pk>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:pk>/edit/", views.issue_edit, name="issue_edit"),
    path("issues/<int:pk>/link/", views.issue_link, name="issue_link"),
    path("issues/<int:pk>/evidence/", views.issue_evidence, name="issue_evidence"),
    path(
        "issues/<int:pk>/steps/<int:event_pk>/evidence/",
        views.issue_event_evidence,
        name="issue_event_evidence",
    ),
    path("issues/<int:pk>/<str:action>/", views.issue_action, name="issue_action"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/", views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/attach/", views.inspection_attach, name="inspection_attach"),
    path(
        "inspections/<int:pk>/attachments/<int:attachment_pk>/",
        views.inspection_attachment,
        name="inspection_attachment",
    ),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("summary/", views.campaign_summary, name="summary"),
    path("groups/", views.group_list, name="group_list"),
    path("areas/", views.area_list, name="area_list"),
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/export/", views.complaint_export, name="complaint_export"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/step/", views.complaint_step, name="complaint_step"),
    path("complaints/<int:pk>/conclude/", views.complaint_conclude, name="complaint_conclude"),
    path("complaints/<int:pk>/handlers/", views.complaint_handlers, name="complaint_handlers"),
    path("complaints/<int:pk>/link/", views.complaint_link, name="complaint_link"),
]
