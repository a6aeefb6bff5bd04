from django.conf import settings

from jiesu.console.navigation import desks_for

# Seconds between two refreshes of a workbench list (htmx polling); tests may set it lower.
DEFAULT_POLL_SECONDS = 30


def poll_seconds() -> int:
    value = getattr(settings, "JIESU", {}).get("CONSOLE_POLL_SECONDS", DEFAULT_POLL_SECONDS)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_POLL_SECONDS


def console(request):
    if not request.path.startswith(("/console", "/en/console")):
        return {}
    user = request.user
    return {
        "console_desks": desks_for(user) if user.is_authenticated else [],
        "console_poll_seconds": poll_seconds(),
    }
