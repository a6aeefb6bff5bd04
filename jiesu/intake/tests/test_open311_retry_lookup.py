# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""An Open311 POST without an Idempotency-Key looks for an identical earlier POST by the prefix
of its derived key (`open311:<digest>:`). On PostgreSQL that lookup must come from an index in
pattern order (migration intake.0004): with only the (channel, key) index it read every
submission the channel ever made, so each POST cost more than the one before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.intake.models import ChannelSubmission
from jiesu.intake.tests.test_open311 import o311, valid_request, world  # noqa: F401
from jiesu.tests.plans import explain

EARLIER = 3000


@pytest.mark.django_db
def test_the_retry_lookup_reads_only_its_own_prefix(postgres_only, o311):  # noqa: F811
    first = o311.api.post(valid_request(o311))
    assert first.status_code == 201, first.content
    appeal = ChannelSubmission.objects.get().appeal
    # The channel's history: thousands of other POSTs (other digests).
    ChannelSubmission.objects.bulk_create(
        ChannelSubmission(
            channel=o311.channel,
            idempotency_key=f"open311:{i:040x}:0",
            request_digest="0" * 64,
            appeal=appeal,
        )
        for i in range(EARLIER)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_channelsubmission")
    with CaptureQueriesContext(connection) as queries:
        again = o311.api.post(valid_request(o311, description="另一件事：路灯不亮。"))
    assert again.status_code == 201, again.content
    [lookup] = [
        q["sql"]
        for q in queries.captured_queries
        if "LIKE" in q["sql"] and "intake_channelsubmission" in q["sql"]
    ]
    nodes = explain(lookup, analyze=True)
    read = sum(n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0) for n in nodes)
    assert read < 10, nodes
    assert any(n.get("Index Name") == "intake_submission_key_prefix" for n in nodes), nodes
