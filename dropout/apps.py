from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DropoutConfig(AppConfig):
    name = "dropout"
    verbose_name = _("Dropout control")

    def ready(self):
        from core.exports import register_exporter

        from .exports import export_cases

        register_exporter("dropout_cases", export_cases)

        from .ledgers import EXPORTERS

        for name, exporter in EXPORTERS.items():
            register_exporter(name, exporter)

        from enrollment.extensions import (
            LedgerTab,
            register_child_actions,
            register_child_panel,
            register_ledger_tab,
        )

        from .panels import child_actions, child_panel

        register_ledger_tab(
            LedgerTab(
                label=_("Suspected dropouts"),
                url_name="dropout:suspected_ledger",
                preset_status="suspected_dropout",
            )
        )
        register_ledger_tab(
            LedgerTab(
                label=_("Dropouts"), url_name="dropout:dropout_ledger", preset_status="dropped_out"
            )
        )
        register_child_panel(child_panel)
        register_child_actions(child_actions)

        from enrollment.prefecture import PrefecturePage, register_prefecture_page

        register_prefecture_page(
            PrefecturePage(
                label=_("Monthly reports by county"), url_name="dropout:prefecture_reports"
            )
        )

        from enrollment.extensions import register_search_provider

        from .panels import search_cases

        register_search_provider(search_cases)

        from enrollment.extensions import register_demo_loader

        from .demo import load_dropout_demo, load_report_demo

        register_demo_loader(load_dropout_demo)
        register_demo_loader(load_report_demo)

        from core.home import register_home_queue

        from .home import bureau_queues, school_queues, township_queues

        register_home_queue(township_queues, order=10)
        register_home_queue(school_queues, order=10)
        register_home_queue(bureau_queues, order=10)

        from core.annual import register_annual_section

        from .annual import annual_section

        register_annual_section(annual_section, order=20)
