from django.core.management.base import BaseCommand

from jiesu.insights import refresh


class Command(BaseCommand):
    help = (
        "Bring the KPI facts up to date with the appeals changed since the last refresh (the "
        "worker does this every minute), or --rebuild them all from the stored appeals (after "
        "a bulk load that bypassed the workflow)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args, rebuild, **options):
        if rebuild:
            done = refresh.rebuild(
                progress=lambda n: self.stderr.write(f"{n} appeals…") if n % 100_000 == 0 else None
            )
            self.stdout.write(f"Rebuilt the KPI facts of {done} appeals.")
        else:
            done = refresh.catch_up()
            self.stdout.write(f"Refreshed {done} changed appeals.")
