# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Real races and a real crash: a payout is never made twice, a budget never overspent.

- Two workers (threads, each with its own connection) pay one set of payouts together: each
  is paid once, at the provider and in the ledger.
- A worker whose lease ran out while the provider still held its request is overtaken by a
  second worker: the provider is asked, not paid again, and the ledger records one payout.
- A worker process is killed (SIGKILL) after the provider accepted the transfer and before
  the ledger was written; the next worker finds the transfer at the provider and records it.
- Concurrent approvals of held rewards never reserve more than the month's budget.

These tests commit (the threads and processes must see the data), on PostgreSQL and on the
SQLite file the test settings use (IMMEDIATE transactions queue the writers); on SQLite in
memory they are skipped, as in the appeals room.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.utils import timezone

from jiesu.rewards import decisions, ledger, payouts, programmes
from jiesu.rewards.models import (
    EmbeddedTransfer,
    LedgerTransaction,
    PayeeAccount,
    Payout,
    Reward,
)
from jiesu.rewards.providers import wechat
from jiesu.rewards.tests.conftest import MONDAY_10, SEED_TERMS, file, reward_of
from jiesu.rewards.tests.fakewechat import FakeWechatPay, Keys

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _real_locks(django_db_setup):
    if connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.settings_dict["NAME"]
    ):
        pytest.skip("concurrent writers need PostgreSQL or a SQLite file, not SQLite in memory")


def in_threads(target, count, *, stagger=0.0):
    outcomes = [{} for _ in range(count)]
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=30)
            time.sleep(stagger * i)
            outcomes[i]["value"] = target(i)
        except BaseException as e:  # noqa: BLE001 - reported to the test
            outcomes[i]["error"] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive()
    for o in outcomes:
        if "error" in o:
            raise o["error"]
    return [o["value"] for o in outcomes]


def grant(world, n, fen=500, **changes):
    programmes.create(
        "race",
        "Race",
        {
            **SEED_TERMS,
            "amount": {"kind": "fixed", "fen": fen},
            "reporter_daily": None,
            "reporter_monthly": None,
            **changes,
        },
    )
    return [reward_of(file(world, phone=f"1390000{i:04d}")) for i in range(n)]


def test_two_workers_pay_every_payout_once(world):
    rewards = grant(world, 12)
    assert {r.status for r in rewards} == {Reward.Status.RESERVED}

    def work(i):
        totals = 0
        while True:
            counts = payouts.pay_due(now=MONDAY_10 + timedelta(hours=1), batch=2)
            totals += counts["paid"]
            if not counts["claimed"]:
                return totals

    paid = in_threads(work, 2)
    assert sum(paid) == 12
    assert EmbeddedTransfer.objects.count() == 12
    assert LedgerTransaction.objects.filter(kind="payout").count() == 12
    assert set(Payout.objects.values_list("status", flat=True)) == {Payout.Status.PAID}
    assert ledger.check() == []


@pytest.fixture
def fake(tmp_path, settings):
    wechat._FETCHED.clear()
    with FakeWechatPay(Keys(tmp_path)) as server:
        yield server
    wechat._FETCHED.clear()


def test_a_worker_overtaken_after_its_lease_does_not_pay_twice(world, fake, settings):
    settings.JIESU_REWARDS = fake.settings(LEASE=0, TIMEOUT=10)
    [reward] = grant(world, 1)
    PayeeAccount.objects.create(
        phone=reward.reporter_phone, provider="wechat", account="o-1", bound_at=MONDAY_10
    )
    fake.state.late_seconds = 1.5  # the first worker waits; its lease (0 s) has run out

    def work(i):  # the real clock: one time line for both workers' leases
        return payouts.pay_due()

    results = in_threads(work, 2, stagger=0.4)
    assert sum(r["paid"] for r in results) == 1, (results, fake.state.requests)
    assert sum(r["lost"] for r in results) == 1  # the overtaken one records nothing
    assert fake.state.transfer_posts == 1 and len(fake.state.paid()) == 1
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    reward.refresh_from_db()
    assert reward.status == Reward.Status.PAID
    assert ledger.check() == []


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = f"{auth}@" if auth else ""
    host += f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return f"postgres://{host}/{db['NAME']}"


def start_worker(tmp_path, cfg, now=None):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JIESU_VAR_DIR": str(tmp_path),
        "JIESU_REWARDS_TEST": json.dumps(cfg),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "jiesu.rewards.tests.worker", json.dumps({"now": now})],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_worker_killed_after_the_provider_accepted(world, fake, tmp_path, settings):
    cfg = fake.settings(TIMEOUT=60, LEASE=300)
    settings.JIESU_REWARDS = cfg
    [reward] = grant(world, 1)
    PayeeAccount.objects.create(
        phone=reward.reporter_phone, provider="wechat", account="o-1", bound_at=MONDAY_10
    )
    fake.state.drop_after_record = 1
    fake.state.late_seconds = 30  # the answer would come long after the kill
    worker = start_worker(tmp_path, cfg)
    deadline = time.monotonic() + 60
    while fake.state.transfer_posts == 0 and time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the worker ended early: {worker.communicate()}")
        time.sleep(0.05)
    assert fake.state.transfer_posts == 1  # the provider has it…
    os.kill(worker.pid, signal.SIGKILL)  # …and the worker dies before it hears so
    worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    row = Payout.objects.get(reward=reward)
    assert row.status == Payout.Status.SENDING
    assert not LedgerTransaction.objects.filter(kind="payout").exists()
    fake.state.late_seconds = 0

    # Within the lease nobody touches it; after the lease the next worker asks the provider.
    cfg_fast = {**cfg, "TIMEOUT": 5}
    out, err = start_worker(tmp_path, cfg_fast).communicate(timeout=120)
    assert json.loads(out.strip().splitlines()[-1])["claimed"] == 0, err
    later = (timezone.now() + timedelta(minutes=6)).isoformat()
    out, err = start_worker(tmp_path, cfg_fast, now=later).communicate(timeout=120)
    assert json.loads(out.strip().splitlines()[-1])["paid"] == 1, err
    assert fake.state.transfer_posts == 1  # asked, not sent again
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    reward.refresh_from_db()
    assert reward.status == Reward.Status.PAID
    assert ledger.check() == []


def test_concurrent_approvals_never_overspend_the_budget(world, monkeypatch):
    from jiesu.appeals.tests.conftest import make_user
    from jiesu.org.roles import Role

    programmes.create(
        "race",
        "Race",
        {
            **SEED_TERMS,
            "amount": {"kind": "fixed", "fen": 800},
            "monthly_budget_fen": 2000,
            "reporter_daily": None,
            "reporter_monthly": None,
            "flags": {"phone": 1},
            "four_eyes_fen": 5000,
        },
    )
    # One phone: the first report is granted, the five after it are held (many to one phone).
    rewards = [reward_of(file(world, phone="13900000001")) for _ in range(6)]
    held = [r for r in rewards if r.status == Reward.Status.HELD]
    assert rewards[0].status == Reward.Status.RESERVED
    reviewers = [make_user(f"rev{i}", world.centre, Role.SUPERVISOR) for i in range(5)]
    original = decisions._cap_refusal

    def slow(reward, t):  # widen the window between reading the budget and reserving
        time.sleep(0.2)
        return original(reward, t)

    monkeypatch.setattr(decisions, "_cap_refusal", slow)
    targets = held[:5]
    assert len(targets) == 5

    def approve(i):
        return decisions.approve(targets[i].pk, reviewers[i]).status

    statuses = in_threads(approve, 5)
    assert sorted(statuses) == ["refused"] * 4 + ["reserved"]
    month = ledger.month_of(MONDAY_10)
    programme = rewards[0].programme
    assert ledger.available(programme, month) == 400
    assert ledger.reserved_account(programme).balance == 1600
    refused = Reward.objects.filter(status=Reward.Status.REFUSED)
    assert set(refused.values_list("reason", flat=True)) == {"budget"}
    assert ledger.check() == []
