from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment registry")

    def ready(self):
        from core.exports import register_exporter

        from .exports import export_ledger

        register_exporter("ledger", export_ledger)

        from .ledger_exports import export_pairings, export_visits

        register_exporter("enrollment_visits", export_visits)
        register_exporter("enrollment_pairings", export_pairings)

        from core.imports import register_importer

        from .imports import POLICE_EXTRACT, SCHOOL_ROLL

        register_importer(POLICE_EXTRACT)
        register_importer(SCHOOL_ROLL)

        from .crosscheck import export_cross_check
        from .extensions import register_nav_menu
        from .menus import account_menu, excel_menu

        register_exporter("crosscheck", export_cross_check)
        register_nav_menu(excel_menu)
        register_nav_menu(account_menu)

        from . import user_audit

        user_audit.connect()

        from core.home import register_home_queue

        from .home import auditor_queues, unaccounted_queue, visits_due_queue

        register_home_queue(unaccounted_queue, order=20)
        register_home_queue(visits_due_queue, order=10)
        register_home_queue(auditor_queues, order=10)
