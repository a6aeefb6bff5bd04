# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The appeal page: everything about one appeal, and the actions this user may take now."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.appeals import attachments as attachment_store
from jiesu.appeals import privacy, timesource, workflow
from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.models import Appeal, Assignment, Attachment, UnitRequest
from jiesu.console.access import may_view
from jiesu.console.forms import FORMS
from jiesu.console.presenters import (
    actor_name,
    clock_view,
    event_detail,
    event_label,
    working_calendar,
)
from jiesu.intake.models import Channel
from jiesu.org import permissions
from jiesu.org.permissions import Action

# Actions that change what the citizen or a unit sees are offered with a confirmation style.
DANGEROUS = {"reject", "merge", "request_return", "send_back", "reopen", "close", "supervise"}
LEAD_ONLY = {
    "contact": Action.CONTACT,
    "request_return": Action.REQUEST_RETURN,
    "request_extension": Action.REQUEST_EXTENSION,
    "complete": Action.COMPLETE,
}
SHORTCUTS = {"register": "r", "dispatch": "d", "sign": "s", "complete": "c", "reject": "x"}


def _with_assignments(appeal: Appeal) -> Appeal:
    """Load the appeal's assignments and their units once: the page, the permission checks and
    `workflow.allowed_transitions` (which walks `appeal.assignments.all()`) all use them."""
    prefetch_related_objects(
        [appeal], Prefetch("assignments", queryset=Assignment.objects.select_related("unit"))
    )
    return appeal


def _load(user, number) -> Appeal:
    appeal = get_object_or_404(
        Appeal.objects.select_related(
            "category__parent__parent", "appeal_type", "grade", "region", "merged_into"
        ),
        number=number,
    )
    if not may_view(user, appeal):
        # As if it did not exist (like the API): a 403 would tell an id-guesser that the
        # number is real.
        raise Http404(_("No appeal with this number."))
    return _with_assignments(appeal)


def _may_unmask(user, appeal) -> bool:
    if appeal.anonymous:
        return False
    if appeal.confidential and privacy.is_handling_unit_view(user, appeal):
        return False
    if permissions.can(user, Action.UNMASK_CONTACT):
        return True
    return any(
        permissions.can(user, Action.UNMASK_CONTACT, unit=a.unit)
        for a in appeal.assignments.all()
        if a.active
    )


def _page_order(assignments):
    """Active first, the lead before assisting units, then in order of dispatch."""
    return sorted(assignments, key=lambda a: (not a.active, a.role != Assignment.Role.LEAD, a.pk))


def _applies(appeal, user, name) -> bool:
    """Whether an action the role and state allow has something to act on right now, so that
    the page does not offer what the workflow would only refuse (sign for an appeal the unit
    has signed, approve an extension nobody asked for, ...)."""
    active = [a for a in appeal.assignments.all() if a.active]
    lead = next((a for a in active if a.role == Assignment.Role.LEAD), None)
    if name == "sign":
        return any(
            a.state == Assignment.State.PENDING and permissions.can(user, Action.SIGN, unit=a.unit)
            for a in active
        )
    if name in LEAD_ONLY:
        # Only the lead unit contacts the citizen, asks to return or extend, and completes.
        if lead is None or not permissions.can(user, LEAD_ONLY[name], unit=lead.unit):
            return False
        if name == "contact":
            # Once, and not after the completion was submitted (its clock has stopped).
            return lead.contacted_at is None and lead.state == Assignment.State.SIGNED
        return name != "complete" or lead.state == Assignment.State.SIGNED
    if name in ("approve_completion", "reject_completion"):
        return lead is not None and lead.state == Assignment.State.AWAITING_APPROVAL
    if name in ("approve_extension", "refuse_extension"):
        return appeal.unit_requests.filter(
            kind=UnitRequest.Kind.EXTENSION, decision=UnitRequest.Decision.PENDING
        ).exists()
    if name == "answer_supervision":
        return appeal.supervisions.filter(answered_at__isnull=True).exists()
    return True


def appeal_context(request, appeal, failed=None):
    user = request.user
    now = timesource.now()
    allowed = [
        name for name in workflow.allowed_transitions(appeal, user) if _applies(appeal, user, name)
    ]
    if failed is not None and failed[0] not in allowed:
        # The action is no longer on offer (e.g. somebody else acted first): say why at the top.
        for errors in failed[1].errors.values():
            for error in errors:
                messages.error(request, error)
    forms = []
    for name in allowed:
        form_class = FORMS.get(name)
        if form_class is None:
            continue
        if failed is not None and failed[0] == name:
            form = failed[1]
        else:
            form = form_class(appeal=appeal, user=user, auto_id=f"id_{name}_%s")
        forms.append(
            {
                "name": name,
                "label": workflow.TRANSITIONS[name].label,
                "form": form,
                "open": failed is not None and failed[0] == name,
                "danger": name in DANGEROUS,
                "shortcut": SHORTCUTS.get(name, ""),
                "multipart": name == "complete",
            }
        )
    assignments = _page_order(appeal.assignments.all())
    clock_rows = list(appeal.clocks.select_related("assignment__unit"))
    cal = working_calendar(clock_rows)
    clocks = [clock_view(c, now, cal=cal) for c in clock_rows]
    channel_names = dict(Channel.objects.values_list("code", "name"))
    events = [
        {
            "event": e,
            "label": event_label(e.kind),
            "actor": actor_name(e.actor_label, appeal.channel, channel_names),
            "detail": event_detail(e),
        }
        for e in appeal.events.select_related("unit").order_by("seq")
    ]
    snapshot = appeal.rule_version.snapshot if appeal.rule_version_id else {}
    if not snapshot and appeal.category_id and hasattr(appeal.category, "rule"):
        snapshot = {"plan": appeal.category.rule.plan}
    files = list(appeal.attachments.order_by("purpose", "uploaded_at"))
    return {
        "appeal": appeal,
        "reporter": privacy.reporter_view(appeal, user),
        "may_unmask": _may_unmask(user, appeal),
        "assignments": assignments,
        "clocks": clocks,
        "events": events,
        "action_forms": forms,
        "allowed_names": allowed,
        "plan": snapshot.get("plan", ""),
        "report_files": [f for f in files if f.purpose == Attachment.Purpose.REPORT],
        "evidence_files": [f for f in files if f.purpose == Attachment.Purpose.EVIDENCE],
        "supervisions": list(appeal.supervisions.select_related("unit")),
        "requests": list(appeal.unit_requests.select_related("assignment__unit")),
        "visits": list(appeal.visits.all()),
        "merged": list(appeal.merged_appeals.only("number", "title")),
        "channel_name": channel_names.get(appeal.channel, appeal.channel),
        "now": now,
    }


@login_required
def detail(request, number):
    appeal = _load(request.user, number)
    return render(request, "console/appeal/detail.html", appeal_context(request, appeal))


@login_required
@require_POST
def act(request, number, transition):
    appeal = _load(request.user, number)
    form_class = FORMS.get(transition)
    if form_class is None or transition not in workflow.TRANSITIONS:
        raise Http404(_("No such action."))
    action = workflow.TRANSITIONS[transition].action
    if not permissions.roles_allowed(action) & request.user.role_set:
        # "Not yours to do" before "the form is wrong" (as the API and the workflow do).
        raise permissions.PermissionDenied(Action(action), "role")
    form = form_class(
        request.POST,
        request.FILES,
        appeal=appeal,
        user=request.user,
        auto_id=f"id_{transition}_%s",
    )
    status = 400
    if form.is_valid():
        kwargs = form.workflow_kwargs()
        try:
            with transaction.atomic():
                if transition == "complete":
                    stored = [
                        attachment_store.store_upload(
                            f, purpose=Attachment.Purpose.EVIDENCE, user=request.user
                        )
                        for f in request.FILES.getlist("photos")
                    ]
                    kwargs["attachments"] = [a.pk for a in stored]
                    if form.cleaned_data.get("photos_public"):
                        kwargs["public_attachments"] = kwargs["attachments"]
                getattr(workflow, transition)(appeal.pk, request.user, **kwargs)
                if hasattr(form, "after"):
                    form.after(request.user)
        except WorkflowError as exc:
            status = exc.http_status
            for field, errors in exc.field_errors.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, str(error))
            if not exc.field_errors:
                form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(action)s: done.") % {"action": workflow.TRANSITIONS[transition].label},
            )
            nxt = request.POST.get("next", "")
            if nxt.startswith("/") and not nxt.startswith("//"):
                return redirect(nxt)
            return redirect("console:appeal", number=appeal.number)
    appeal.refresh_from_db()
    _with_assignments(appeal)
    context = appeal_context(request, appeal, failed=(transition, form))
    return render(request, "console/appeal/detail.html", context, status=status)


@login_required
@require_POST
def unmask(request, number):
    appeal = _load(request.user, number)
    try:
        data = privacy.reveal_contact(appeal, request.user, reason=request.POST.get("reason", ""))
    except WorkflowError as exc:
        return JsonResponse({"error": str(exc)}, status=exc.http_status)
    return render(request, "console/appeal/_contact.html", {"contact": data})


@login_required
def attachment(request, pk, thumb=False):
    file = get_object_or_404(Attachment.objects.select_related("appeal"), pk=pk)
    if file.appeal_id is None:
        if file.uploaded_by_id != request.user.pk:
            raise Http404
    elif not may_view(request.user, file.appeal):
        raise Http404
    stored = file.thumbnail if thumb and file.thumbnail else file.file
    content_type = "image/jpeg" if thumb and file.thumbnail else file.content_type
    return FileResponse(stored.open("rb"), content_type=content_type)


def _workorder_context(request, appeal):
    context = appeal_context(request, appeal)
    context["printed_at"] = timezone.localtime(timesource.now())
    context["printed_by"] = request.user.full_name or request.user.username
    return context


@login_required
def workorder(request, number):
    """The work order (工单) as a printable page: the facts, units, deadlines and history."""
    appeal = _load(request.user, number)
    return render(request, "console/appeal/workorder.html", _workorder_context(request, appeal))


def _weasyprint():
    """WeasyPrint, imported only when a PDF is asked for: it needs the system's pango
    library, and a missing one must not stop the console from starting."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/cairo libraries not found
        return None, exc
    return weasyprint, None


@login_required
def workorder_pdf(request, number):
    """The work order as a PDF (WeasyPrint), for units that file paper."""
    appeal = _load(request.user, number)
    weasyprint, problem = _weasyprint()
    if weasyprint is None:
        messages.error(
            request,
            _(
                "The PDF cannot be made on this server: the PDF library (WeasyPrint with the "
                "system's pango library) is missing (%(detail)s). Use the print view and "
                "your browser's “Save as PDF”, and tell the administrator."
            )
            % {"detail": str(problem)[:200]},
        )
        return redirect("console:workorder", number=appeal.number)
    context = _workorder_context(request, appeal)
    context["pdf"] = True
    html = render_to_string("console/appeal/workorder.html", context, request=request)
    css = finders.find("console/workorder.css")
    stylesheets = [weasyprint.CSS(filename=css)] if css else []
    pdf = weasyprint.HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        stylesheets=stylesheets
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="workorder-{appeal.number}.pdf"'
    return response
