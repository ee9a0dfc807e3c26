from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeachersConfig(AppConfig):
    name = "teachers"
    verbose_name = _("Teacher workforce")

    def ready(self):
        from core.exports import register_exporter
        from enrollment.extensions import register_demo_loader, register_nav_menu

        from . import exports
        from .demo import load_teachers_demo
        from .navigation import teachers_menu

        for name, function in exports.EXPORTERS.items():
            register_exporter(name, function)
        register_nav_menu(teachers_menu)
        register_demo_loader(load_teachers_demo)

        from core.annual import register_annual_section
        from enrollment.extensions import register_child_actions, register_child_panel

        from .annual import annual_section
        from .panels import child_actions, child_panel

        register_child_panel(child_panel)
        register_child_actions(child_actions)
        register_annual_section(annual_section, order=50)
