import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from enrollment.demo import DEMO_PASSWORD, SCALES, demo_accounts, ensure_demo_users, load_demo
from enrollment.extensions import DEMO_LOADERS
from enrollment.models import Child, County, School, Village


class Command(BaseCommand):
    help = "Load the fictional demo county and its demo users (idempotent; never in production)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument(
            "--counties",
            type=int,
            metavar="N",
            help="How many counties the database should hold (default: the scale's); the "
            "missing ones are added, those present left alone. The modules' demo data are "
            "loaded for the first county only.",
        )
        parser.add_argument(
            "--only",
            metavar="APP",
            help="Run only this app's demo loader (e.g. subsidies) on the existing county.",
        )

    def handle(self, *args, scale, counties=None, only=None, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError(
                "Demo data and demo users are refused under these settings "
                "(production). Use config.settings.local."
            )
        if counties is not None and counties < 1:
            raise CommandError("--counties must be at least 1.")
        started = time.monotonic()
        county, created = load_demo(
            scale, counties=counties, progress=lambda text: self.stdout.write(f"  {text}")
        )
        if created and connection.vendor == "postgresql":
            # Fresh planner statistics after bulk inserts, or the first queries plan blind.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        registry_seconds = time.monotonic() - started
        users = ensure_demo_users(county)
        accounts = demo_accounts(county)
        loaders = [
            loader
            for loader in DEMO_LOADERS
            if only is None or loader.__module__.split(".")[0] == only
        ]
        if only is not None and not loaders:
            raise CommandError(f"No demo loader of an app called {only!r}.")
        summaries = []
        for loader in loaders:
            loader_started = time.monotonic()
            summary = loader(county, accounts, SCALES[scale])
            summaries.append(f"{summary} ({time.monotonic() - loader_started:.1f} s)")
        children = Child.objects.filter(village__township__county=county).count()
        villages = Village.objects.filter(township__county=county).count()
        schools = School.objects.filter(township__county=county).count()
        # The modules' demo data (cases, documents…) of the first county only.
        verb = "Loaded" if created else "Already present:"
        counties_in_all = County.objects.count()
        in_all = f" ({counties_in_all} counties in the database)" if counties_in_all > 1 else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {county.name} ({county.code}): {county.townships.count()} townships, "
                f"{villages} villages, {schools} schools, {children} children "
                f"in {time.monotonic() - started:.1f} s (the registry {registry_seconds:.1f} s)"
                f"{in_all}."
            )
        )
        for summary in summaries:
            self.stdout.write(f"  {summary}")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for username, role, place in users:
            self.stdout.write(f"  {username:<10} {role} · {place}")
