from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment registry")

    def ready(self):
        from core.exports import register_exporter

        from .exports import export_ledger

        register_exporter("ledger", export_ledger)

        from .ledger_exports import export_help_activities, export_pairings, export_visits

        register_exporter("enrollment_visits", export_visits)
        register_exporter("enrollment_pairings", export_pairings)
        register_exporter("enrollment_help_activities", export_help_activities)

        from core.imports import register_importer

        from .imports import POLICE_EXTRACT, SCHOOL_ROLL

        register_importer(POLICE_EXTRACT)
        register_importer(SCHOOL_ROLL)

        from .imports.roster import STUDENT_ROSTER

        register_importer(STUDENT_ROSTER)

        from .imports.disability import DISABILITY_CERTIFICATES
        from .imports.poverty import POVERTY_REGISTERS

        register_importer(POVERTY_REGISTERS)
        register_importer(DISABILITY_CERTIFICATES)

        from .crosscheck import export_cross_check
        from .extensions import register_nav_menu
        from .menus import excel_menu, help_menu, prefecture_menu

        register_exporter("crosscheck", export_cross_check)
        register_nav_menu(excel_menu)
        register_nav_menu(help_menu)
        register_nav_menu(prefecture_menu)

        from core.annual import register_annual_section

        from .annual import annual_section

        register_annual_section(annual_section, order=10)

        from .demo.help import load_help_demo
        from .extensions import register_demo_loader

        register_demo_loader(load_help_demo)

        from .demo.roster import load_roster_demo

        register_demo_loader(load_roster_demo)

        from .demo.registers import load_registers_demo

        register_demo_loader(load_registers_demo)

        from . import user_audit

        user_audit.connect()

        from core.home import register_home_queue

        from .home import auditor_queues, unaccounted_queue, visits_due_queue

        register_home_queue(unaccounted_queue, order=20)
        register_home_queue(visits_due_queue, order=10)
        register_home_queue(auditor_queues, order=10)
