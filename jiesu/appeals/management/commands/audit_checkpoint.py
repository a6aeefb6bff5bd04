# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import sys

from django.core.management.base import BaseCommand, CommandError

from jiesu.appeals import checkpoints


class Command(BaseCommand):
    help = (
        "Sign a checkpoint of every appeal's history now (the scheduler makes one every "
        "JIESU_AUDIT_CHECKPOINT_MINUTES); --export FILE writes all checkpoints as JSON lines for "
        "a third party; --new-key prints a fresh signing key; --public-key prints the public key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--export", metavar="FILE", help="write the checkpoints ('-': stdout)")
        parser.add_argument("--new-key", action="store_true", help="print a new signing key")
        parser.add_argument("--public-key", action="store_true", help="print the public key")

    def handle(self, *args, export=None, new_key=False, public_key=False, **options):
        if new_key:
            self.stdout.write(checkpoints.new_key())
            return
        try:
            if public_key:
                key = checkpoints.signing_key().public_key()
                self.stdout.write(checkpoints.public_key_text(key))
                return
            if export:
                if export == "-":
                    count = checkpoints.export(sys.stdout)
                else:
                    with open(export, "w", encoding="utf-8") as stream:
                        count = checkpoints.export(stream)
                self.stderr.write(f"Exported {count} checkpoint(s).")
                return
            made = checkpoints.create()
        except checkpoints.KeyMissing as exc:
            raise CommandError(str(exc)) from None
        if made is None:
            self.stdout.write("No history changed since the last checkpoint: none made.")
        else:
            self.stdout.write(
                f"Checkpoint #{made.number}: {made.entry_count} appeal(s), digest {made.digest}."
            )
