from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "core"

    def ready(self):
        from . import audit
        from .audit_views import export_audit
        from .exports import register_exporter

        audit.connect()
        from .history import cache_history_manager_classes

        cache_history_manager_classes()
        register_exporter("audit", export_audit)
        # Login security: logout and deactivation end every session; deploy checks registered.
        from . import security

        security.connect_signals()
