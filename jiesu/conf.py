"""Jiesu's own settings (`settings.JIESU`, filled from the environment in jiesu/settings.py),
read in one way by every room: `setting("MAX_EXTENSION_DAYS", 15)`."""

from django.conf import settings


def setting(name: str, default):
    """`settings.JIESU[name]`, or `default` when it is not set (read at each call, so tests and
    administrators changing the settings are seen at once)."""
    return getattr(settings, "JIESU", {}).get(name, default)
