# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The Mulan PSL v2 statement (scripts/licence_headers.py): where it goes in each kind of source
file, that adding it changes nothing a program or a page does, and that it is added once."""

import pytest
from django.template import Context, Engine

from jiesu.tests import scripts


@pytest.fixture(scope="module")
def headers():
    return scripts.load("licence_headers")


def test_python_keeps_its_shebang_and_docstring(headers):
    source = '#!/usr/bin/env python\n"""What it does."""\n\nVALUE = 1\n'
    headed = headers.with_statement(source, ".py")
    assert headed.startswith("#!/usr/bin/env python\n# Copyright (c) 2026 The Jiesu contributors\n")
    namespace = {}
    exec(compile(headed, "x.py", "exec"), namespace)  # noqa: S102 (our own test source)
    assert namespace["__doc__"] == "What it does." and namespace["VALUE"] == 1
    assert headers.has_statement(headed, ".py")
    assert headers.with_statement(headed, ".py") == headed  # once


@pytest.mark.parametrize("suffix", [".js", ".css"])
def test_scripts_and_styles_get_one_comment_block(headers, suffix):
    headed = headers.with_statement("body { color: red; }\n", suffix)
    assert headed.startswith("/*\n * Copyright (c) 2026") and headed.endswith(
        " */\nbody { color: red; }\n"
    )
    assert headers.has_statement(headed, suffix)
    assert headers.with_statement(headed, suffix) == headed


@pytest.mark.parametrize(
    "template",
    [
        "<p>{{ name }}</p>\n",
        '{% load i18n %}<nav id="tabs">{% translate "Queues" %}</nav>',
        '{% extends "base.html" %}{% block body %}<p>{{ name }}</p>{% endblock %}',
    ],
)
def test_templates_render_exactly_as_before(headers, template):
    headed = headers.with_statement(template, ".html")
    assert headers.has_statement(headed, ".html") and headed != template
    assert headers.with_statement(headed, ".html") == headed

    def render(text):
        engine = Engine(
            loaders=[
                (
                    "django.template.loaders.locmem.Loader",
                    {"base.html": "<main>{% block body %}{% endblock %}</main>", "t.html": text},
                )
            ],
            libraries={"i18n": "django.templatetags.i18n"},
        )
        return engine.get_template("t.html").render(Context({"name": "张三"}))

    assert render(headed) == render(template)


def test_generated_vendored_and_empty_files_are_left_out(headers, tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    files = {
        "app/views.py": "X = 1\n",
        "app/migrations/0001_initial.py": "X = 1\n",
        "app/static/app/vendor/lib.js": "var x;\n",
        "app/__init__.py": "",
        "app/templates/app/page.html": "<p>x</p>",
        "README.md": "# readme\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = {str(p.relative_to(tmp_path)) for p in headers.source_files(tmp_path)}
    assert found == {"app/views.py", "app/templates/app/page.html"}
