"""/visits/: 我的走访, the offline visit workbench (dropout.fieldwork_views)."""

from django.urls import path

from . import fieldwork_views

app_name = "fieldwork"

urlpatterns = [
    path("", fieldwork_views.app, name="app"),
    path("sw.js", fieldwork_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", fieldwork_views.manifest, name="manifest"),
]
