# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Hot issues 热点问题 on real messages with votes: `jiesu.insights.topics` and
`manage.py hot_issues` (a committed subset of the shared contest file, see data/PROVENANCE.md;
and the whole shared file when it is present)."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiesu.insights import topics

SUBSET = Path(__file__).parent / "data" / "messages_with_votes_subset.csv"
SHARED = Path("/work/shared/data/teddy2020/messages_with_votes.csv")


def run(*args) -> str:
    out = io.StringIO()
    call_command("hot_issues", *args, stdout=out)
    return out.getvalue()


def _supported_most(messages):
    """The issue with the most supporting messages, worked out without the method: the
    messages about the 伊景园滨河苑 car parks (41 in the subset, the largest group of messages
    about one matter)."""
    return {m.ref for m in messages if "伊景园" in m.title}


def _voted_most(messages):
    """The 58车贷 fraud case: the matter with the most votes over its messages."""
    return {m.ref for m in messages if "58车贷" in m.title}


def _rank_of(ranked, refs):
    """1-based rank of the first issue holding most of `refs`."""
    for i, topic in enumerate(ranked, 1):
        if len(refs & set(topic.refs)) * 2 > len(refs):
            return i
    return None


def test_most_supported_issue_ranks_first_with_its_evidence():
    messages = topics.read_votes_csv(SUBSET)
    assert len(messages) == 291
    ranked = topics.rank(messages)
    expected = _supported_most(messages)
    assert _rank_of(ranked, expected) == 1
    top = ranked[0]
    # Nearly all of its messages, and nothing unrelated pulled in.
    assert len(expected & set(top.refs)) >= len(expected) - 2
    assert all(
        "伊景园"
        in messages[[m.ref for m in messages].index(r)].title
        + messages[[m.ref for m in messages].index(r)].body
        for r in top.refs
    )
    assert top.writers >= 30
    assert str(top.first) >= "2019-07-01" and str(top.last) <= "2019-09-30"


def test_most_voted_issue_ranks_near_the_top():
    messages = topics.read_votes_csv(SUBSET)
    ranked = topics.rank(messages)
    rank = _rank_of(ranked, _voted_most(messages))
    assert rank is not None and rank <= 5
    topic = ranked[rank - 1]
    assert topic.votes > 500
    assert dict(topic.places).get("A4区", 0) >= 3


def test_an_unrelated_message_stays_alone():
    messages = [
        topics.Message("1", "投诉小区附近搅拌站噪音扰民", "晚上施工噪音"),
        topics.Message("2", "小区附近搅拌站噪音扰民严重", "夜间噪音"),
        topics.Message("3", "咨询高级技师购房补贴政策", "补贴何时发放"),
    ]
    groups = sorted(sorted(g) for g in topics.cluster(messages))
    assert groups == [[0, 1], [2]]


def test_command_json_lists_evidence():
    data = json.loads(run("--csv", str(SUBSET), "--top", "3", "--format", "json"))
    assert data["messages"] == 291
    assert [i["rank"] for i in data["issues"]] == [1, 2, 3]
    first = data["issues"][0]
    assert "伊景园" in first["title"]
    assert first["messages"] == len(first["refs"]) and first["messages"] >= 39
    assert first["first"] <= first["last"]
    assert first["places"] and first["places"][0]["messages"] > 0
    heats = [i["heat"] for i in data["issues"]]
    assert heats == sorted(heats, reverse=True)


def test_command_csv_and_html():
    rows = list(
        csv.DictReader(io.StringIO(run("--csv", str(SUBSET), "--top", "2", "--format", "csv")))
    )
    assert len(rows) == 2 and rows[0]["rank"] == "1" and int(rows[0]["votes"]) >= 0
    html = run("--csv", str(SUBSET), "--top", "2", "--format", "html")
    assert "<table>" in html and "伊景园" in html and "热点问题" in html


@pytest.mark.parametrize(
    "args, message",
    [
        (["--csv", "/nonexistent/file.csv"], "Cannot read"),
        (["--csv", str(SUBSET), "--top", "0"], "--top"),
        (["--csv", str(SUBSET), "--threshold", "2"], "--threshold"),
    ],
)
def test_command_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_command_refuses_a_file_of_another_layout(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("title,text\na,b\n", encoding="utf-8")
    with pytest.raises(CommandError, match="留言主题"):
        run("--csv", str(bad))


@pytest.mark.skipif(not SHARED.exists(), reason="the shared contest file is not on this machine")
def test_whole_shared_file():
    messages = topics.read_votes_csv(SHARED)
    assert len(messages) == 4326
    ranked = topics.rank(messages)
    assert _rank_of(ranked, _supported_most(messages)) == 1
    assert _rank_of(ranked, {m.ref for m in messages if "搅拌站" in m.title}) <= 3
