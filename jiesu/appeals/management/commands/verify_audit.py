from django.core.management.base import BaseCommand, CommandError

from jiesu.appeals import audit


class Command(BaseCommand):
    help = (
        "Walk every appeal's hash-chained history and report the first broken event. "
        "Exits non-zero when any event was altered, removed or inserted out of order."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-problems",
            action="store_true",
            help="Report the first problem of every broken appeal, not just the first one.",
        )

    def handle(self, *args, all_problems=False, **options):
        problems = []
        checked = 0
        for count, problem in audit.verify_all():
            checked = count
            if problem is not None:
                problems.append(problem)
                if not all_problems:
                    break
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(
                f"Audit chain broken: first broken event in {problems[0]} "
                f"({len(problems)} appeal(s) reported, {checked} checked)."
            )
        self.stdout.write(f"Audit chain verified: {checked} appeals, every event intact.")
