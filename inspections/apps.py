from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections and rectification")

    def ready(self):
        from core.exports import register_exporter
        from enrollment.extensions import register_demo_loader, register_nav_menu

        from .demo import load_inspections_demo
        from .exports import export_complaints, export_rectification_ledger
        from .navigation import inspections_menu

        register_exporter("rectification_ledger", export_rectification_ledger)
        register_exporter("complaints", export_complaints)
        register_nav_menu(inspections_menu)
        register_demo_loader(load_inspections_demo)

        from core.home import register_home_queue

        from .home import rectification_queue, verification_queue

        register_home_queue(verification_queue, order=5)
        register_home_queue(rectification_queue, order=40)

        from core.annual import register_annual_section

        from .annual import annual_section

        register_annual_section(annual_section, order=40)
