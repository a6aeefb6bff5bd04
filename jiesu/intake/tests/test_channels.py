# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Channels: API keys, rate limits, the demo list, `channel_key` and `import_channels`."""

import io
import time
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu import versions
from jiesu.intake import channels
from jiesu.intake.models import Channel

pytestmark = pytest.mark.django_db

SIMULATION_CODES = {
    "wechat_pingshan",
    "beautiful_shenzhen",
    "hotline_12345",
    "hotline_12319",
    "mailbox",
    "hotline_landline",
}


@pytest.fixture
def app():
    return Channel.objects.create(
        code="beautiful_shenzhen", name="美丽深圳", kind=Channel.Kind.APP, is_machine=True
    )


# -- keys -------------------------------------------------------------------------------------


def test_issue_key_stores_only_prefix_and_hash(app):
    key = channels.issue_key(app)
    assert key.startswith(f"js_{app.key_prefix}_")
    assert len(key) == len("js_") + 8 + len("_") + 43
    app.refresh_from_db()
    assert app.key_hash and key not in app.key_hash and key.split("_", 2)[2] not in app.key_hash
    assert len(app.key_hash) == 64
    assert app.key_created_at is not None and app.key_revoked_at is None
    assert channels.authenticate_key(key) == app
    assert channels.authenticate_key(f"  {key}\n") == app


def test_a_new_key_replaces_the_old_one(app):
    old = channels.issue_key(app)
    new = channels.issue_key(app)
    assert old != new
    assert channels.authenticate_key(old) is None
    assert channels.authenticate_key(new) == app


def test_revoked_inactive_or_non_machine_channels_do_not_authenticate(app):
    key = channels.issue_key(app)
    assert channels.revoke_key(app) is True
    assert channels.revoke_key(app) is False  # nothing left to revoke
    assert channels.authenticate_key(key) is None
    app.refresh_from_db()
    assert app.key_revoked_at is not None and app.key_hash == ""
    key = channels.issue_key(app)
    app.refresh_from_db()
    app.active = False
    app.save()  # the admin's way: counts at once in this process
    assert channels.authenticate_key(key) is None
    app.active, app.is_machine = True, False
    app.save()
    assert channels.authenticate_key(key) is None
    app.is_machine = True
    app.save()
    assert channels.authenticate_key(key) == app


def test_changes_made_elsewhere_count_within_the_key_cache_time(app, monkeypatch):
    """Another process (or raw SQL) changed the channel: seen at the next fingerprint check,
    at most KEY_CACHE_SECONDS later."""
    key = channels.issue_key(app)
    assert channels.authenticate_key(key) == app
    clock = [time.monotonic()]
    monkeypatch.setattr(versions.time, "monotonic", lambda: clock[0])
    Channel.objects.filter(pk=app.pk).update(active=False)
    clock[0] += channels.KEY_CACHE_SECONDS + 0.1
    assert channels.authenticate_key(key) is None
    Channel.objects.filter(pk=app.pk).update(active=True, key_hash="")
    clock[0] += channels.KEY_CACHE_SECONDS + 0.1
    assert channels.authenticate_key(key) is None


@pytest.mark.parametrize(
    "raw",
    [None, "", "js_", "js_zzzzzzzz_" + "a" * 43, "Bearer x", "js_0000000_" + "a" * 43, "\x00"],
)
def test_malformed_keys_do_not_authenticate(app, raw):
    channels.issue_key(app)
    assert channels.authenticate_key(raw) is None


def test_a_key_with_the_right_prefix_and_a_wrong_secret_fails(app):
    key = channels.issue_key(app)
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert channels.authenticate_key(forged) is None


def test_keys_are_only_for_active_machine_channels():
    hotline = Channel.objects.create(code="hotline_12345", name="12345", kind="hotline")
    with pytest.raises(channels.KeyNotAllowed):
        channels.issue_key(hotline)
    closed = Channel.objects.create(
        code="old_app", name="旧 APP", kind="app", is_machine=True, active=False
    )
    with pytest.raises(channels.KeyNotAllowed):
        channels.issue_key(closed)


def test_secret_key_rotation_with_fallbacks(app, settings):
    key = channels.issue_key(app)
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-for-the-test-" + "x" * 20
    assert channels.authenticate_key(key) is None
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert channels.authenticate_key(key) == app


# -- rate limits ------------------------------------------------------------------------------


def test_rate_limit_fixed_window(app):
    cache.clear()
    app.rate_limit_per_minute = 3
    minute = 1_800_000_000 // 60 * 60  # the start of a minute
    results = [channels.check_rate(app, now=minute + 10) for _ in range(4)]
    assert results[:3] == [None, None, None]
    assert results[3] == 50  # seconds to the next window
    assert channels.check_rate(app, now=minute + 59.5) == 1
    assert channels.check_rate(app, now=minute + 60) is None  # a new window


def test_rate_limit_zero_means_none(app):
    cache.clear()
    app.rate_limit_per_minute = 0
    assert all(channels.check_rate(app, now=0) is None for _ in range(100))


def test_rate_limits_are_per_channel(app):
    cache.clear()
    other = Channel.objects.create(code="grid_patrol", name="网格", kind="grid_patrol")
    app.rate_limit_per_minute = other.rate_limit_per_minute = 1
    assert channels.check_rate(app, now=120) is None
    assert channels.check_rate(other, now=120) is None
    assert channels.check_rate(app, now=121) is not None


# -- demo channels ----------------------------------------------------------------------------


def test_demo_channels():
    created = channels.ensure_demo_channels()
    codes = {c.code for c in created}
    assert codes >= SIMULATION_CODES
    assert len(codes) == len(channels.DEMO_CHANNELS) >= 10
    kinds = set(Channel.objects.values_list("kind", flat=True))
    assert {"hotline", "wechat", "app", "web", "mailbox", "grid_patrol"} <= kinds
    assert {"city_12345", "urban_management"} <= kinds
    names = set(Channel.objects.values_list("name", flat=True))
    assert any("坪山" in n for n in names) and any("12319" in n for n in names)
    for channel in Channel.objects.all():
        channel.full_clean()
    # Idempotent, and administrators' changes survive.
    Channel.objects.filter(code="mailbox").update(name="区长信箱")
    assert channels.ensure_demo_channels() == []
    assert Channel.objects.get(code="mailbox").name == "区长信箱"
    assert Channel.objects.count() == len(channels.DEMO_CHANNELS)


# -- channel_key command ----------------------------------------------------------------------


def test_channel_key_command_prints_a_working_key_once(app):
    out, err = io.StringIO(), io.StringIO()
    call_command("channel_key", "beautiful_shenzhen", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert channels.authenticate_key(key) == app
    assert "only this once" in err.getvalue()
    assert key not in err.getvalue()
    out2 = io.StringIO()
    call_command("channel_key", "beautiful_shenzhen", stdout=out2, stderr=io.StringIO())
    assert channels.authenticate_key(key) is None
    assert channels.authenticate_key(out2.getvalue().strip()) == app


def test_channel_key_revoke(app):
    key = channels.issue_key(app)
    out = io.StringIO()
    call_command("channel_key", "beautiful_shenzhen", "--revoke", stdout=out)
    assert "revoked" in out.getvalue()
    assert channels.authenticate_key(key) is None


def test_channel_key_unknown_code_and_non_machine():
    Channel.objects.create(code="mailbox", name="政府信箱", kind="mailbox")
    with pytest.raises(CommandError, match="No channel with the code 'nope'"):
        call_command("channel_key", "nope")
    with pytest.raises(CommandError, match="not a machine channel"):
        call_command("channel_key", "mailbox", stdout=io.StringIO())


# -- import_channels --------------------------------------------------------------------------

HEADER = "code,name,kind,is_machine,rate_limit_per_minute,description\n"


def write(tmp_path, text, name="channels.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_import_creates_and_updates(tmp_path, app):
    channels.issue_key(app)
    key_hash = Channel.objects.get(pk=app.pk).key_hash
    path = write(
        tmp_path,
        "\ufeff"
        + HEADER
        + "hotline_12345,12345 热线,hotline,否,0,座席录入\n"
        + 'beautiful_shenzhen,美丽深圳 APP,app,yes,30,"市容环境, 公众参与"\n'
        + "grid_patrol,网格巡查,grid_patrol,1,,\n",
    )
    out = io.StringIO()
    call_command("import_channels", str(path), stdout=out)
    assert "2 channel(s) created, 1 updated" in out.getvalue()
    hotline = Channel.objects.get(code="hotline_12345")
    assert (hotline.is_machine, hotline.rate_limit_per_minute) == (False, 0)
    app.refresh_from_db()
    assert (app.name, app.rate_limit_per_minute) == ("美丽深圳 APP", 30)
    assert app.description == "市容环境, 公众参与"
    assert app.key_hash == key_hash  # keys are untouched
    assert Channel.objects.get(code="grid_patrol").rate_limit_per_minute == 60  # default
    again = io.StringIO()
    call_command("import_channels", str(path), stdout=again)
    assert "0 channel(s) created, 0 updated, 3 unchanged" in again.getvalue()


def test_import_without_optional_columns_leaves_them_alone(tmp_path, app):
    path = write(tmp_path, "code,name,kind\nbeautiful_shenzhen,美丽深圳,app\n")
    call_command("import_channels", str(path), stdout=io.StringIO())
    app.refresh_from_db()
    assert app.is_machine is True


def test_import_refuses_a_bad_file_and_changes_nothing(tmp_path, app):
    path = write(
        tmp_path,
        HEADER
        + "hotline_12345,12345 热线,hotline,no,0,\n"  # fine, but must not be saved
        + "bad code,名字,hotline,no,0,\n"
        + "x1,,fax,maybe,-5,\n"
        + "hotline_12345,重复,hotline,no,0,\n"
        + "x2,名字,web,no,0,extra,cells\n",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_channels", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "row 3: code 'bad code'" in report
    assert "row 4: name is empty" in report
    assert "row 4: kind 'fax' is unknown" in report
    assert "row 4: is_machine 'maybe'" in report
    assert "row 4: rate_limit_per_minute '-5'" in report
    assert "row 5: code 'hotline_12345' already appears in row 2" in report
    assert "row 6: more cells than columns" in report
    assert set(Channel.objects.values_list("code", flat=True)) == {"beautiful_shenzhen"}


@pytest.mark.parametrize(
    ("text", "encoding", "problem"),
    [
        ("name,kind\n12345,hotline\n", "utf-8", "missing column(s) code"),
        ("code,name,kind,colour\nx,y,web,red\n", "utf-8", "unknown column(s) colour"),
        (HEADER, "utf-8", "no rows"),
        (HEADER + "mailbox,政府信箱,mailbox,no,0,\n", "gbk", "not UTF-8"),
        (HEADER + "x,名\x07字,web,no,0,\n", "utf-8", "control characters"),
    ],
)
def test_import_file_level_problems(tmp_path, text, encoding, problem):
    path = write(tmp_path, text, encoding=encoding)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_channels", str(path), stdout=io.StringIO(), stderr=err)
    assert problem in err.getvalue()
    assert not Channel.objects.exists()


def test_import_dry_run(tmp_path):
    path = write(tmp_path, HEADER + "mailbox,政府信箱,mailbox,no,0,\n")
    out = io.StringIO()
    call_command("import_channels", str(path), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue() and "1 channel(s) created" in out.getvalue()
    assert not Channel.objects.exists()


def test_import_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "import_channels",
            str(tmp_path / "none.csv"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


# -- one web channel (issue 9 defect 6) -------------------------------------------------------


@contextmanager
def before_one_web_channel():
    """The channels as they were before migration intake 0002 (two channels could share a
    name then), then every migration since, run for real."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("intake", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        yield executor.loader.project_state(before).apps.get_model("intake", "Channel")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("intake"))


def test_demo_declares_the_citizen_pages_channel_once():
    channels.ensure_demo_channels()
    web = Channel.objects.filter(kind=Channel.Kind.WEB)
    assert list(web.values_list("code", flat=True)) == ["web"]
    names = list(Channel.objects.values_list("name", flat=True))
    assert len(names) == len(set(names))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unused_web_snap_channel_is_removed():
    with before_one_web_channel() as old_channel:
        old_channel.objects.create(code="web", name="网页随手拍", kind=Channel.Kind.WEB)
        old_channel.objects.create(code="web_snap", name="网页随手拍", kind=Channel.Kind.WEB)
    assert list(Channel.objects.values_list("code", "name")) == [("web", "网页随手拍")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_web_snap_channel_with_appeals_keeps_its_code_under_its_own_name():
    from jiesu.appeals import workflow

    with before_one_web_channel() as old_channel:
        old_channel.objects.create(code="web", name="网页随手拍", kind=Channel.Kind.WEB)
        old_channel.objects.create(code="web_snap", name="网页随手拍", kind=Channel.Kind.WEB)
        # An appeal filed through the old entrance (the channel table's columns are the same).
        workflow.receive(channel="web_snap", title="t", description="路灯不亮", reporter_phone="1")
    assert Channel.objects.get(code="web_snap").name == "网页随手拍（旧入口 web_snap）"
    assert Channel.objects.get(code="web").name == "网页随手拍"
