from jiesu.console.navigation import desks_for


def console(request):
    if not request.path.startswith(("/console", "/en/console")):
        return {}
    user = request.user
    return {"console_desks": desks_for(user) if user.is_authenticated else []}
