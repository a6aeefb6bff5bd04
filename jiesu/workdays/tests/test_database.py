# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The calendar as the database defines it: default periods, overrides, declared years, the shared
cache and its invalidation, model validation, the system check and the admin."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from jiesu.workdays import calendar
from jiesu.workdays.calendar import CalendarMisconfigured, CalendarNotCovered, Coverage
from jiesu.workdays.checks import coverage_warnings
from jiesu.workdays.models import CalendarOverride, CalendarVersion, CoveredYear, WorkingPeriod

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def enter_2027():
    """A few of 2027's days, as an administrator would enter them, then the declaration."""
    CalendarOverride.objects.create(date=d("2027-01-01"), is_working_day=False, name="元旦")
    CalendarOverride.objects.create(date=d("2027-02-06"), is_working_day=True, name="春节 调休")
    return CoveredYear.objects.create(year=2027, note="test")


# -- defaults ------------------------------------------------------------------------------------


def test_the_data_migration_created_the_default_working_periods():
    periods = list(WorkingPeriod.objects.values_list("start", "end"))
    assert periods == [(dt.time(9), dt.time(12)), (dt.time(14), dt.time(18))]
    assert CalendarVersion.objects.filter(pk=1).exists()
    assert calendar.get_calendar().periods == calendar.DEFAULT_PERIODS


def test_module_functions_on_the_database_calendar():
    assert calendar.add_working_days(at("2026-09-30 10:00"), 3) == at("2026-10-10 10:00")
    assert calendar.add_working_hours(at("2026-11-26 17:00"), 2) == at("2026-11-27 10:00")
    assert calendar.add_duration(at("2026-11-26 17:00"), 2, "wh") == at("2026-11-27 10:00")
    assert calendar.add_duration(at("2026-11-26 17:00"), 2, "h") == at("2026-11-26 19:00")
    assert calendar.working_time_between(at("2026-11-26 11:00"), at("2026-11-26 15:00")) == (
        dt.timedelta(hours=2)
    )
    assert calendar.start_of_next_working_day(at("2026-09-30 15:00")) == at("2026-10-08 09:00")
    assert calendar.next_working_day(d("2026-09-30")) == d("2026-10-08")
    assert calendar.is_working_time(at("2026-11-26 09:30"))
    assert calendar.next_working_instant(at("2026-11-26 12:30")) == at("2026-11-26 14:00")
    assert calendar.day_info(d("2026-10-10")).is_working_day


def test_natural_time_does_not_touch_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert calendar.add_natural(at("2026-11-26 10:00"), dt.timedelta(hours=1)) == at(
            "2026-11-26 11:00"
        )
        assert calendar.add_duration(at("2026-11-26 10:00"), 30, "min") == at("2026-11-26 10:30")


# -- overrides and declared years ----------------------------------------------------------------


def test_an_override_wins_over_the_library():
    CalendarOverride.objects.create(date=d("2026-10-08"), is_working_day=False, name="test")
    CalendarOverride.objects.create(date=d("2026-11-28"), is_working_day=True)
    assert not calendar.is_working_day(d("2026-10-08"))
    assert calendar.is_working_day(d("2026-11-28"))  # a Saturday
    assert calendar.day_info(d("2026-10-08")).source == "override"
    # 10-8 now a rest day: 10-9, the make-up Saturday 10-10, then Monday 10-12.
    assert calendar.add_working_days(at("2026-09-30 10:00"), 3) == at("2026-10-12 10:00")


def test_an_uncovered_year_is_provisional_then_a_declaration_makes_it_official():
    due = calendar.deadline(at("2026-12-30 10:00"), 3, "wd")
    # 12-31, (1-1 New Year's Day, weekend), 1-4, 1-5 on the provisional calendar.
    assert due == calendar.Deadline(at("2027-01-05 10:00"), provisional=True)
    assert calendar.provisional_year() == 2027
    assert calendar.coverage([2026, 2027]) == {2026: Coverage.LIBRARY, 2027: None}
    assert calendar.uncovered_years(2026, 2028) == [2027, 2028]
    with pytest.raises(CalendarNotCovered) as caught:
        calendar.add_working_days(at("2027-12-30 10:00"), 3)
    assert caught.value.year == 2028

    enter_2027()
    assert calendar.coverage([2026, 2027]) == {2026: Coverage.LIBRARY, 2027: Coverage.DECLARED}
    assert calendar.uncovered_years(2026, 2028) == [2028]
    assert calendar.provisional_year() == 2028
    due = calendar.deadline(at("2026-12-30 10:00"), 3, "wd")
    assert due == calendar.Deadline(at("2027-01-05 10:00"), provisional=False)
    assert calendar.is_working_day(d("2027-02-06"))  # a Saturday entered as a make-up day
    # 2028 is now the provisional year, 2029 is refused.
    assert calendar.day_info(d("2028-01-03")).source == "provisional"
    with pytest.raises(CalendarNotCovered, match="2029"):
        calendar.is_working_day(d("2029-01-03"))


def test_overrides_in_an_undeclared_year_are_used_but_stay_provisional():
    CalendarOverride.objects.create(date=d("2027-01-04"), is_working_day=False, name="test")
    assert calendar.coverage([2027]) == {2027: None}
    assert calendar.day_info(d("2027-01-04")).source == "override"
    # 12-31, then Tuesday 1-5 and Wednesday 1-6: the override counted, still provisional.
    due = calendar.deadline(at("2026-12-30 10:00"), 3, "wd")
    assert due == calendar.Deadline(at("2027-01-06 10:00"), provisional=True)


def test_changed_working_periods_apply():
    WorkingPeriod.objects.all().delete()
    with pytest.raises(CalendarMisconfigured):
        calendar.add_working_hours(at("2026-11-26 10:00"), 1)
    WorkingPeriod.objects.create(start=dt.time(8), end=dt.time(17))
    assert calendar.add_working_hours(at("2026-11-26 16:00"), 2) == at("2026-11-27 09:00")


# -- the shared calendar's cache -----------------------------------------------------------------


def test_an_unchanged_calendar_costs_no_query(django_assert_num_queries):
    calendar.get_calendar()
    with django_assert_num_queries(0):
        calendar.add_working_days(at("2026-09-30 10:00"), 3)
        calendar.deadline(at("2026-12-30 10:00"), 3, "wd")
    first = calendar.get_calendar()
    assert calendar.get_calendar() is first
    # Asked to be fresh, it reads the version token: one small query, same calendar.
    with django_assert_num_queries(1):
        assert calendar.get_calendar(fresh=True) is first


def test_save_update_and_delete_reach_the_cache():
    day = d("2026-12-01")
    assert calendar.is_working_day(day)
    override = CalendarOverride.objects.create(date=day, is_working_day=False)
    assert not calendar.is_working_day(day)
    override.is_working_day = True
    override.save()
    assert calendar.is_working_day(day)
    override.is_working_day = False
    override.save()
    assert not calendar.is_working_day(day)
    override.delete()
    assert calendar.is_working_day(day)
    CalendarOverride.objects.create(date=day, is_working_day=False)
    CalendarOverride.objects.filter(date=day).delete()  # queryset delete sends signals too
    assert calendar.is_working_day(day)


def test_a_rolled_back_change_does_not_stick():
    day = d("2026-12-02")
    assert calendar.is_working_day(day)
    with pytest.raises(RuntimeError), transaction.atomic():
        CalendarOverride.objects.create(date=day, is_working_day=False)
        assert not calendar.is_working_day(day)  # seen inside the transaction
        raise RuntimeError("roll back")
    assert calendar.is_working_day(day)


def test_writes_without_signals_need_invalidate_cache():
    day = d("2026-12-03")
    override = CalendarOverride.objects.create(date=day, is_working_day=False)
    assert not calendar.is_working_day(day)
    CalendarOverride.objects.filter(pk=override.pk).update(is_working_day=True)
    calendar.invalidate_cache()
    assert calendar.is_working_day(day)


def test_another_process_edit_is_seen_within_the_check_interval(settings, request):
    """A write made elsewhere (no signal in this process) changes the token: the held calendar
    reloads at its next check, CALENDAR_CHECK_SECONDS after the last one, or when asked fresh."""
    # "Elsewhere" is this test's transaction, which is rolled back: nothing tells this process,
    # so drop what it loaded from it (a real other process commits, and its token stays).
    request.addfinalizer(calendar._forget_loaded_calendar)
    day = d("2026-12-04")
    assert calendar.is_working_day(day)
    CalendarOverride.objects.bulk_create([CalendarOverride(date=day, is_working_day=False)])
    # The other process's save wrote a new token.
    CalendarVersion.objects.filter(pk=1).update(token="00000000-0000-4000-8000-000000000001")
    assert calendar.is_working_day(day)  # still the held calendar: within the interval
    assert not calendar.get_calendar(fresh=True).is_working_day(day)
    CalendarOverride.objects.bulk_create([CalendarOverride(date=d("2026-12-07"), name="x")])
    CalendarVersion.objects.filter(pk=1).update(token="00000000-0000-4000-8000-000000000002")
    assert calendar.is_working_day(d("2026-12-07"))
    settings.JIESU = {**settings.JIESU, "CALENDAR_CHECK_SECONDS": 0}  # the interval has passed
    assert not calendar.is_working_day(d("2026-12-07"))


def test_the_cache_survives_a_missing_version_row():
    CalendarVersion.objects.all().delete()
    assert calendar.is_working_day(d("2026-12-07"))
    CalendarOverride.objects.create(date=d("2026-12-07"), is_working_day=False)
    assert CalendarVersion.objects.filter(pk=1).exists()
    assert not calendar.is_working_day(d("2026-12-07"))


def test_a_time_zone_change_reloads(settings):
    assert calendar.get_calendar().tz == SHANGHAI
    settings.TIME_ZONE = "UTC"
    assert str(calendar.get_calendar().tz) == "UTC"


# -- model validation ----------------------------------------------------------------------------


def test_overlapping_working_periods_are_refused():
    with pytest.raises(ValidationError, match="overlaps"):
        WorkingPeriod(start=dt.time(11), end=dt.time(13)).full_clean()
    with pytest.raises(ValidationError):
        WorkingPeriod(start=dt.time(19), end=dt.time(18, 30)).full_clean()
    WorkingPeriod(start=dt.time(12), end=dt.time(14)).full_clean()  # adjacent: fine
    existing = WorkingPeriod.objects.get(start=dt.time(14))
    existing.end = dt.time(18, 30)
    existing.full_clean()  # a period does not overlap itself


def test_the_database_refuses_a_period_ending_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingPeriod.objects.create(start=dt.time(20), end=dt.time(19))


def test_override_dates_are_unique():
    CalendarOverride.objects.create(date=d("2026-12-08"), is_working_day=False)
    with pytest.raises(ValidationError):
        CalendarOverride(date=d("2026-12-08"), is_working_day=True).full_clean()


def test_declaring_a_year_needs_overrides_and_a_year_the_library_lacks():
    with pytest.raises(ValidationError, match="already covers 2026"):
        CoveredYear(year=2026).full_clean()
    with pytest.raises(ValidationError, match="No calendar overrides"):
        CoveredYear(year=2027).full_clean()
    CalendarOverride.objects.create(date=d("2027-01-01"), is_working_day=False)
    CoveredYear(year=2027).full_clean()
    with pytest.raises(ValidationError):
        CoveredYear(year=2101).full_clean()


# -- the system check ----------------------------------------------------------------------------


def test_no_warning_for_a_year_the_library_covers():
    assert coverage_warnings(d("2026-06-01")) == []
    assert coverage_warnings(d("2025-11-15")) == []  # 2026 is in the library too


def test_next_year_is_checked_from_october():
    assert coverage_warnings(d("2026-09-30")) == []
    warnings = coverage_warnings(d("2026-10-01"))
    assert [w.id for w in warnings] == ["workdays.W002"]
    assert "2027" in warnings[0].msg
    enter_2027()
    assert coverage_warnings(d("2026-11-26")) == []


def test_the_current_year_is_always_checked():
    warnings = coverage_warnings(d("2027-03-01"))
    assert [w.id for w in warnings] == ["workdays.W001"]
    assert "2027" in warnings[0].msg
    warnings = coverage_warnings(d("2027-12-01"))
    assert [w.id for w in warnings] == ["workdays.W001", "workdays.W002"]
    assert "2028" in warnings[1].msg
    enter_2027()
    assert [w.id for w in coverage_warnings(d("2027-12-01"))] == ["workdays.W002"]


def test_the_check_is_registered():
    from django.core import checks

    issues = checks.run_checks(tags=["workdays"])
    assert all(issue.id in ("workdays.W001", "workdays.W002") for issue in issues)
    assert "workdays" in checks.registry.registry.tags_available()


# -- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "x-Pass-123")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["calendaroverride", "coveredyear", "workingperiod"])
def test_admin_pages(admin_client_, model):
    assert admin_client_.get(reverse(f"admin:workdays_{model}_changelist")).status_code == 200
    assert admin_client_.get(reverse(f"admin:workdays_{model}_add")).status_code == 200


def test_admin_explains_coverage(admin_client_):
    CalendarOverride.objects.create(date=d("2027-01-01"), is_working_day=False, name="元旦")
    page = admin_client_.get(
        reverse("admin:workdays_coveredyear_changelist"), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert "calendar-coverage" in text
    assert "2004" in text and "2026" in text
    # Declaring a year without overrides is refused with an explanation.
    page = admin_client_.post(reverse("admin:workdays_coveredyear_add"), {"year": 2028, "note": ""})
    assert page.status_code == 200
    assert not CoveredYear.objects.filter(year=2028).exists()
    page = admin_client_.post(reverse("admin:workdays_coveredyear_add"), {"year": 2027, "note": ""})
    assert page.status_code == 302
    assert calendar.is_working_day(d("2027-01-04"))
    year = CoveredYear.objects.get(year=2027)
    change = admin_client_.get(reverse("admin:workdays_coveredyear_change", args=[year.pk]))
    assert "元旦" in change.content.decode()


def test_admin_override_shows_what_the_library_says(admin_client_):
    override = CalendarOverride.objects.create(date=d("2026-10-08"), is_working_day=False)
    page = admin_client_.get(reverse("admin:workdays_calendaroverride_change", args=[override.pk]))
    assert page.status_code == 200
    listing = admin_client_.get(reverse("admin:workdays_calendaroverride_changelist"))
    assert listing.status_code == 200


def test_admin_refuses_overlapping_periods(admin_client_):
    page = admin_client_.post(
        reverse("admin:workdays_workingperiod_add"), {"start": "11:00", "end": "13:00"}
    )
    assert page.status_code == 200
    assert WorkingPeriod.objects.count() == 2


def test_admin_is_for_administrators_only(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="x-Pass-123", is_staff=True)
    client.force_login(user)
    page = client.get(reverse("admin:workdays_calendaroverride_changelist"))
    assert page.status_code in (302, 403)  # sent to the login page or refused: not shown


# -- committed writes (no test transaction around them) ------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_committed_changes_and_a_flush_reach_the_cache():
    from django.core.management import call_command

    day = d("2026-12-09")
    assert calendar.is_working_day(day)
    CalendarOverride.objects.create(date=day, is_working_day=False)
    assert not calendar.is_working_day(day)
    # A flush (as between transactional tests) empties the tables without model signals.
    call_command("flush", interactive=False, verbosity=0)
    assert calendar.is_working_day(day)
    assert calendar.get_calendar().periods == ()
