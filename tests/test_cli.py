"""Each command through the CLI (CliRunner): exit codes and output, errors included."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

import cli
from kb.paths import shipped_corpus_dir

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

runner = CliRunner()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(shipped_corpus_dir() / "standards.jsonl", corpus / "standards.jsonl")
    index = tmp_path_factory.mktemp("home") / "index"
    result = runner.invoke(cli.app, ["--index", str(index), "--corpus", str(corpus), "build", "--json"])
    assert result.exit_code == 0, result.output
    return ["--index", str(index), "--corpus", str(corpus)]


def kb(dirs, *args):
    return runner.invoke(cli.app, [*dirs, *args])


def test_build_json_emits_one_event_per_line(dirs, tmp_path):
    result = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "--corpus", dirs[3], "build", "--json"])
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    assert events[-1]["records"] == 1461


@pytest.mark.parametrize("spelling", ["DB23/T 2419—2026", "db23t2419-2026", "DB23/T2419"])
def test_get_any_spelling(dirs, spelling):
    result = kb(dirs, "get", spelling, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["number"] == "DB23/T 2419-2026"
    assert record["title"] == "地理标志产品 佳木斯大米"
    assert record["replaces"] == ["DB23/T 2419-2019"]


def test_get_replaced_edition_human(dirs):
    result = kb(dirs, "get", "DB23/T 2419-2019")
    assert result.exit_code == 0
    assert "被代替" in result.stdout and "DB23/T 2419-2026" in result.stdout
    assert "标准号" in result.stdout and "被代替为" in result.stdout


def test_get_many_numbers_reports_unknown_ones(dirs):
    result = kb(dirs, "get", "DB23/T 2419-2026", "GB/T 9999999-2020", "--json")
    assert result.exit_code == 1
    answers = json.loads(result.stdout)
    assert answers[0]["number"] == "DB23/T 2419-2026"
    assert answers[1] == {"query": "GB/T 9999999-2020", "error": "知识库中没有 GB/T 9999999-2020"}


def test_search_rice_local_json(dirs):
    result = kb(dirs, "search", "水稻", "--level", "local", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"query", "total", "matched_as", "hits", "facets"}
    assert data["total"] >= 10 and len(data["hits"]) == 10
    assert set(data["hits"][0]) == {"id", "number", "title", "level", "status", "score", "snippet"}
    assert all("水稻" in h["title"] for h in data["hits"])
    assert data["facets"]["level"] == {"local": data["total"]}


def test_search_human_has_chinese_labels_and_facets(dirs):
    result = kb(dirs, "search", "水稻", "--region", "黑龙江", "--limit", "3")
    assert result.exit_code == 0
    assert "标准号" in result.stdout and "标准名称" in result.stdout and "地区: 黑龙江" in result.stdout


def test_stats(dirs):
    data = json.loads(kb(dirs, "stats", "--json").stdout)
    assert data["total"] == 1461
    assert data["level"] == {"industry": 862, "local": 519, "national": 69, "metrology": 10, "group": 1}


@pytest.mark.parametrize("args, code, message", [
    (["get", "GB/T"], 2, "错误：不是标准号：'GB/T'（'GB/T' 后缺少顺序号）"),
    (["search", '"unbalanced'], 2, "错误：查询 '\"unbalanced' 中的引号不成对"),
    (["search", ""], 2, "错误：查询为空"),
    (["search", "水稻", "--level", "city"], 2, "错误：无法识别的层级 'city'"),
    (["search", "水稻", "--region", "火星"], 2, "错误：无法识别的地区 '火星'"),
    (["get", "GB/T 9999999-2020"], 1, "错误：知识库中没有 GB/T 9999999-2020"),
])
def test_bad_input_is_one_line_and_non_zero(dirs, args, code, message):
    result = kb(dirs, *args)
    assert result.exit_code == code
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


class PanicException(BaseException):
    """What a Rust engine's binding raises on a panic (pyo3's PanicException is no Exception)."""


def test_an_engine_panic_is_one_line_and_exit_1(dirs, monkeypatch):
    from index.engine import KnowledgeIndex

    def panic(*args, **kwargs):
        raise PanicException("called `Result::unwrap()` on an `Err` value")

    monkeypatch.setattr(KnowledgeIndex, "search", panic)
    result = kb(dirs, "search", "水稻")
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：内部错误：PanicException: called")
    assert len(result.stderr.strip().splitlines()) <= 2 and "Traceback" not in result.output


def test_corrupt_corpus_line_is_reported_and_the_rest_load(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = (shipped_corpus_dir() / "standards.jsonl").read_text(encoding="utf-8").splitlines()
    lines.insert(2, '{"id": "broken", ')
    (corpus / "standards.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "--corpus", str(corpus), "build"])
    assert result.exit_code == 1
    assert f"{corpus / 'standards.jsonl'}:3: 无效的 JSON" in result.stderr
    assert "其余 1461 条记录已建入索引" in result.stderr
    found = runner.invoke(cli.app, ["--index", str(tmp_path / "ix"), "--corpus", str(corpus), "get", "DB23/T 2419-2026"])
    assert found.exit_code == 0


def test_first_use_builds_the_index(tmp_path, dirs):
    result = runner.invoke(cli.app, ["--index", str(tmp_path / "new"), "--corpus", dirs[3], "get", "DB23/T 2419-2026", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["number"] == "DB23/T 2419-2026"


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_command_has_help_with_an_example_and_json():
    import typer.main

    root = typer.main.get_command(cli.app)
    commands = list(_commands(root))
    assert len(commands) >= 8
    for name, command in commands:
        assert command.help and "Example: kb " in command.help, name
        assert any("--json" in p.opts for p in command.params), name
