"""Every `$ kb …` example of README.md shows what kb really prints on the shipped corpus.
Regenerate the outputs with `.venv/bin/python scripts/readme_examples.py --update`."""
from __future__ import annotations

import pytest

from scripts.readme_examples import README, examples, normalized, readme_world, run, update

TEXT = README.read_text(encoding="utf-8")
EXAMPLES = examples(TEXT)


@pytest.fixture(scope="module")
def world():
    with readme_world() as env:
        yield env


def test_the_readme_has_examples_of_the_first_hour():
    commands = [e.command.split(" #")[0].split(" |")[0].strip() for e in EXAMPLES]
    assert len(commands) >= 8
    assert {"kb search 水稻 --level local --limit 3", "kb get db23t2419-2019", "kb check spec.txt"} <= set(commands)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.skip], ids=lambda e: e.id)
def test_example_output_is_real(example, world):
    assert normalized(run(example, world)) == normalized(example.expected), \
        "stale README example: run .venv/bin/python scripts/readme_examples.py --update"


def test_skip_marks_are_explicit():
    synthetic = ("<!-- readme-examples: skip needs a mirror -->\n```console\n$ kb crawl sacinfo --max-pages 1\nx\n```\n"
                 "```console\n$ kb get db23t2419-2019\ny\n```\n")
    found = examples(synthetic)
    assert [(e.command, e.skip, e.expected) for e in found] == [
        ("kb crawl sacinfo --max-pages 1", "needs a mirror", "x\n"), ("kb get db23t2419-2019", "", "y\n")]


def test_update_rewrites_outputs_and_leaves_the_rest(tmp_path):
    text = ("intro\n<!-- readme-examples: skip needs the network -->\n```console\n$ kb crawl samr\nold\n```\n"
            "```console\n$ kb get DB23/T 2419-2018\nstale\n\n$ kb search 水稻 --status 现行 | head -1\nstale\n```\nend\n")
    assert update(text) == (
        "intro\n<!-- readme-examples: skip needs the network -->\n```console\n$ kb crawl samr\nold\n```\n"
        "```console\n$ kb get DB23/T 2419-2018\n"
        "错误：知识库中没有 DB23/T 2419-2018；已收录的版本：DB23/T 2419-2026、DB23/T 2419-2019\n"
        "提示：运行 `kb get DB23/T 2419` 查看现行版本和各版本\n(exit 1)\n\n"
        "$ kb search 水稻 --status 现行 | head -1\n共 0 条结果: 水稻\n```\nend\n")
