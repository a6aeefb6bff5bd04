# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Similar cases and knowledge-base answers on the appeal page (see `dispatch.knowledge`)."""

from django import template

from jiesu.appeals import workflow
from jiesu.appeals.states import FINAL_STATES, Status
from jiesu.console.access import may_view
from jiesu.dispatch import knowledge

register = template.Library()

CONSULTATION = "consultation"


@register.inclusion_tag("console/appeal/_similar_cases.html", takes_context=True)
def similar_cases(context, appeal):
    """For whoever handles the appeal once it is registered: the most similar finished cases
    with their public replies (linked when the reader may open them)."""
    request = context.get("request")
    if request is None or appeal.status in FINAL_STATES or appeal.status == Status.RECEIVED:
        return {"cases": []}
    cases = knowledge.similar_cases(appeal)
    user = request.user
    return {
        "cases": [{"case": c, "linked": may_view(user, c.appeal)} for c in cases],
    }


@register.inclusion_tag("console/intake/_knowledge_answers.html", takes_context=True)
def knowledge_answers(context, appeal):
    """For the intake desk: knowledge-base answers to a consultation (or to an appeal whose type
    is not set yet), each answered with one click (the `answer` transition, text prefilled)."""
    request = context.get("request")
    if request is None:
        return {"answers": []}
    if "answer" not in workflow.allowed_transitions(appeal, request.user):
        return {"answers": []}
    if appeal.appeal_type_id and appeal.appeal_type.code != CONSULTATION:
        return {"answers": []}
    return {
        "appeal": appeal,
        "answers": knowledge.answers_for(appeal),
        "csrf_token": context.get("csrf_token"),
    }
