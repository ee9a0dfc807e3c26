from django.urls import path

from . import audit_views, token_views, views

app_name = "core"

urlpatterns = [
    path("exports/", views.export_list, name="export_list"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("imports/<str:name>/new/", views.import_new, name="import_new"),
    path("imports/<str:name>/template.xlsx", views.import_template, name="import_template"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("accounts/tokens/", token_views.my_tokens, name="token_list"),
    path("accounts/tokens/<int:pk>/revoke/", token_views.revoke_my_token, name="token_revoke"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
]
