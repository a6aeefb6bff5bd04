# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Brute-force protection on the console's and the admin's sign-in (issue 8, item 3): after a
few wrong passwords the account and the client are locked out (even the right password is
refused), every failure is logged and kept, and an administrator can lift the lock."""

import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from jiesu.appeals.tests.conftest import make_user
from jiesu.org.models import Unit
from jiesu.org.roles import Role

PASSWORD = "Right-Passw0rd!"
DOORS = ["/console/login/", "/admin/login/"]


@pytest.fixture
def staff(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_CLIENT_FAILURE_LIMIT = 12
    centre = Unit.objects.create(code="C00", name="区指挥中心", kind=Unit.Kind.CENTRE)
    user = make_user("dispatcher", centre, Role.DISPATCHER)
    user.set_password(PASSWORD)
    user.is_staff = True
    user.save()
    admin = make_user("boss", centre, Role.ADMINISTRATOR)
    admin.is_staff = admin.is_superuser = True
    admin.set_password(PASSWORD)
    admin.save()
    return user


def sign_in(client, door, username, password):
    return client.post(door, {"username": username, "password": password})


@pytest.mark.parametrize("door", DOORS)
def test_the_account_is_locked_after_five_wrong_passwords(staff, door, caplog):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    with caplog.at_level(logging.WARNING, logger="axes"):
        for _ in range(4):
            assert sign_in(attacker, door, "dispatcher", "guess").status_code == 200
        # The fifth wrong password locks.
        assert sign_in(attacker, door, "dispatcher", "guess").status_code == 429
    locked = sign_in(attacker, door, "dispatcher", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in attacker.session
    # The account is locked from another address too.
    elsewhere = Client(REMOTE_ADDR="198.51.100.9", HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = sign_in(elsewhere, door, "dispatcher", PASSWORD)
    assert response.status_code == 429
    assert "登录已暂时锁定" in response.content.decode()
    assert AccessFailureLog.objects.filter(username="dispatcher").count() >= 5
    assert sum("login failure" in r.getMessage() for r in caplog.records) >= 5
    assert any("Locking out" in r.getMessage() for r in caplog.records)


def test_colleagues_mistyping_behind_one_address_do_not_lock_the_office(staff):
    """Five failures of different accounts from one address (an office behind NAT) lock none
    of its other accounts: the per-address limit is higher than the per-account one."""
    office = Client(REMOTE_ADDR="203.0.113.70")
    for i in range(11):
        assert sign_in(office, "/console/login/", f"colleague{i}", "typo").status_code == 200
    assert sign_in(office, "/console/login/", "dispatcher", PASSWORD).status_code == 302


def test_one_client_trying_many_accounts_is_locked(staff):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(11):
        assert sign_in(attacker, "/console/login/", f"user{i}", "guess").status_code == 200
    # The twelfth failure from the address (AXES_CLIENT_FAILURE_LIMIT) locks the address.
    assert sign_in(attacker, "/console/login/", "user11", "guess").status_code == 429
    assert sign_in(attacker, "/console/login/", "dispatcher", PASSWORD).status_code == 429
    # The account itself is not locked for its owner elsewhere.
    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(owner, "/console/login/", "dispatcher", PASSWORD).status_code == 302


def test_an_administrator_lifts_the_lock(staff):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(5):
        sign_in(attacker, "/console/login/", "dispatcher", "guess")
    assert AccessAttempt.objects.filter(username="dispatcher").exists()
    admin = Client(REMOTE_ADDR="198.51.100.1")
    assert sign_in(admin, "/admin/login/", "boss", PASSWORD).status_code == 302
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "dispatcher" in listing.content.decode()
    ids = list(AccessAttempt.objects.filter(username="dispatcher").values_list("pk", flat=True))
    admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not AccessAttempt.objects.filter(username="dispatcher").exists()
    owner = Client(REMOTE_ADDR="203.0.113.5")
    assert sign_in(owner, "/console/login/", "dispatcher", PASSWORD).status_code == 302


def test_a_right_password_resets_the_count(staff):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(4):
        sign_in(client, "/console/login/", "dispatcher", "guess")
    assert sign_in(client, "/console/login/", "dispatcher", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "/console/login/", "dispatcher", "guess")
    assert sign_in(client, "/console/login/", "dispatcher", PASSWORD).status_code == 302
