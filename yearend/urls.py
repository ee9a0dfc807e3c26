from django.urls import path

from . import prefecture_views, views

app_name = "yearend"

urlpatterns = [
    path("", views.summary_list, name="summary_list"),
    path("generate/", views.summary_generate, name="summary_generate"),
    path(
        "prefecture/<int:pk>/",
        prefecture_views.prefecture_summaries,
        name="prefecture_summaries",
    ),
    path("runs/<int:pk>/", views.summary_run, name="summary_run"),
    path("<int:pk>/", views.summary_detail, name="summary_detail"),
    path("<int:pk>/approve/", views.summary_approve, name="summary_approve"),
    path("<int:pk>/workbook/", views.summary_workbook, name="summary_workbook"),
    path("<int:pk>/document/", views.summary_document, name="summary_document"),
]
