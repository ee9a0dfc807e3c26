from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from dropout.home_views import home

admin.site.site_header = _("Dropout control and education poverty alleviation")
admin.site.site_title = _("County education bureau")
handler400 = "core.views.bad_request"  # a refused query-string value says why (core.params)

urlpatterns = [
    path("", home, name="home"),
    path("", include("enrollment.urls")),
    path("", include("core.urls")),
    path("dropout/", include("dropout.urls")),
    path("visits/", include("dropout.fieldwork_urls")),
    path("subsidies/", include("subsidies.urls")),
    path("inspections/", include("inspections.urls")),
    path("teachers/", include("teachers.urls")),
    path("risk/", include("risk.urls")),
    path("transfers/", include("transfers.urls")),
    path("yearend/", include("yearend.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
]
