# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand, CommandError

from jiesu.appeals import audit, checkpoints
from jiesu.appeals.models import AuditCheckpoint


class Command(BaseCommand):
    help = (
        "Walk every appeal's hash-chained history and check it against the signed checkpoints "
        "(truncation, rewriting); --checkpoints FILE also checks an exported file against the "
        "database. Exits non-zero naming what is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-problems",
            action="store_true",
            help="Report the first problem of every broken appeal, not just the first one.",
        )
        parser.add_argument(
            "--checkpoints",
            dest="export_file",
            metavar="FILE",
            help="an export kept by a third party",
        )
        parser.add_argument(
            "--public-key",
            metavar="KEY",
            help="verify signatures with this public key (base64) instead of the configured key",
        )

    def handle(self, *args, all_problems=False, export_file=None, public_key=None, **options):
        chain = []
        checked = 0
        for count, problem in audit.verify_all():
            checked = count
            if problem is not None:
                chain.append(problem)
                if not all_problems:
                    break
        problems = [f"BROKEN {p}" for p in chain]
        try:
            public = checkpoints.load_public_key(public_key) if public_key else None
        except ValueError:
            raise CommandError("--public-key is not a base64 Ed25519 public key.") from None
        try:
            anchored = checkpoints.verify(public)
        except checkpoints.KeyMissing as exc:
            raise CommandError(
                f"Cannot check the audit checkpoints: {exc} (or pass --public-key)."
            ) from None
        problems.extend(f"CHECKPOINT {p}" for p in anchored)
        if export_file:
            try:
                with open(export_file, encoding="utf-8") as stream:
                    exported = checkpoints.verify_export(stream, public)
            except OSError as exc:
                raise CommandError(f"Cannot read {export_file}: {exc}") from None
            problems.extend(f"EXPORT {p}" for p in exported)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            if chain:
                raise CommandError(
                    f"Audit chain broken: first broken event in {chain[0]} "
                    f"({len(chain)} appeal(s) reported, {checked} checked)."
                )
            raise CommandError(
                f"Audit checkpoints disagree: {problems[0]} ({len(problems)} problem(s), "
                f"{checked} appeals checked)."
            )
        count = AuditCheckpoint.objects.count()
        self.stdout.write(
            f"Audit chain verified: {checked} appeals, every event intact; "
            f"{count} signed checkpoint(s) agree."
        )
