from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "core"

    def ready(self):
        # Login security: logout and deactivation end every session; deploy checks registered.
        from . import security

        security.connect_signals()
