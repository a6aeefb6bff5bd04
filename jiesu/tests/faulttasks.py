# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A task for the fault tests: it notes every run, and its first run holds long enough for the
test to kill the worker running it."""

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def probe(marker_dir: str, hold: float) -> int:
    directory = Path(marker_dir)
    runs = directory / "runs"
    with runs.open("a") as f:
        f.write(f"{os.getpid()}\n")
    if len(runs.read_text().splitlines()) == 1:
        time.sleep(hold)
    (directory / "done").write_text(str(os.getpid()))
    return os.getpid()


@task()
def noop(n: int) -> int:
    return n
