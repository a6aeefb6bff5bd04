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
