from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YearendConfig(AppConfig):
    name = "yearend"
    verbose_name = _("Annual summary")

    def ready(self):
        from . import hooks

        hooks.register()
