from django.urls import path

from . import (
    search_views,
    views,
    views_accounts,
    views_excel,
    views_help,
    views_prefecture,
    views_registers,
)
from .views_four_sources import (
    four_sources,
    four_sources_confirm,
    four_sources_county,
    four_sources_resolve,
)

app_name = "enrollment"

urlpatterns = [
    path("ledger/county/<int:pk>/", views.ledger, {"kind": "county"}, name="county_ledger"),
    path("ledger/township/<int:pk>/", views.ledger, {"kind": "township"}, name="township_ledger"),
    path("ledger/village/<int:pk>/", views.ledger, {"kind": "village"}, name="village_ledger"),
    path("ledger/school/<int:pk>/", views.ledger, {"kind": "school"}, name="school_ledger"),
    path("ledger/<str:kind>/<int:pk>/export/", views.export_ledger, name="export_ledger"),
    path(
        "prefecture/<int:pk>/",
        views_prefecture.prefecture_overview,
        name="prefecture_overview",
    ),
    path("unaccounted/", views.unaccounted, name="unaccounted"),
    path("children/new/", views.register_child, name="register_child"),
    path("households/new/", views.register_household, name="register_household"),
    path("children/<int:pk>/", views.child_detail, name="child_detail"),
    path("search/", search_views.search_page, name="search"),
    path("children/<int:pk>/status/", views.change_status, name="change_status"),
    path("children/<int:pk>/visits/new/", views.record_visit, name="record_visit"),
    path("children/<int:pk>/pairing/", views.assign_partner, name="assign_partner"),
    path("crosscheck/", views_excel.crosscheck_index, name="crosscheck_index"),
    path("crosscheck/township/<int:pk>/", views_excel.crosscheck, name="crosscheck"),
    path(
        "crosscheck/township/<int:pk>/export/",
        views_excel.crosscheck_export,
        name="crosscheck_export",
    ),
    path("crosscheck/four/township/<int:pk>/", four_sources, name="four_sources"),
    path(
        "crosscheck/four/township/<int:pk>/confirm/",
        four_sources_confirm,
        name="four_sources_confirm",
    ),
    path("crosscheck/four/county/<int:pk>/", four_sources_county, name="four_sources_county"),
    path(
        "crosscheck/four/child/<int:pk>/resolve/",
        four_sources_resolve,
        name="four_sources_resolve",
    ),
    path("registers/left/", views_registers.left_registers, name="left_registers"),
    path(
        "registers/left/<int:pk>/confirm/",
        views_registers.left_register_confirm,
        name="left_register_confirm",
    ),
    path("excel-log/", views_excel.excel_log, name="excel_log"),
    path("visits/<int:pk>/attachment/", views.visit_attachment, name="visit_attachment"),
    path("accounts/users/", views_accounts.account_list, name="account_list"),
    path("accounts/users/<int:pk>/", views_accounts.account_security, name="account_security"),
    path(
        "accounts/users/<int:pk>/tokens/<int:token_pk>/revoke/",
        views_accounts.account_revoke_token,
        name="account_revoke_token",
    ),
    path(
        "accounts/users/<int:pk>/tokens/revoke/",
        views_accounts.account_revoke_all,
        name="account_revoke_all",
    ),
    path("accounts/users/<int:pk>/unlock/", views_accounts.account_unlock, name="account_unlock"),
    path("partner-units/", views_help.partner_unit_list, name="partner_unit_list"),
    path("partner-units/new/", views_help.partner_unit_new, name="partner_unit_new"),
    path("partner-units/<int:pk>/edit/", views_help.partner_unit_edit, name="partner_unit_edit"),
    path("help-activities/", views_help.help_activity_list, name="help_activity_list"),
    path("help-activities/export/", views_help.help_activity_export, name="help_activity_export"),
    path(
        "children/<int:pk>/help-activities/new/",
        views_help.child_help_activity,
        name="child_help_activity",
    ),
    path(
        "households/<int:pk>/help-activities/new/",
        views_help.household_help_activity,
        name="household_help_activity",
    ),
    path("promotion/", views_help.promotion, name="promotion"),
]
