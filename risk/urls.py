from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("", views.risk_list, name="list"),
    path("export/", views.risk_export, name="export"),
    path("help/", views.risk_help, name="help"),
    path("points/", views.risk_weights, name="weights"),
    path("backtest/", views.backtest, name="backtest"),
    path("runs/new/", views.run_new, name="run_new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
]
