"""Hostile command lines get one clear line and the right exit code (issue 18, item 7)."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import cli

runner = CliRunner()
LONG = "质" * 300


@pytest.fixture(scope="module")
def kb_dirs(tmp_path_factory):
    import shutil

    from index.build import rebuild
    from kb.paths import shipped_corpus_dir

    root = tmp_path_factory.mktemp("kb")
    shutil.copytree(shipped_corpus_dir(), root / "corpus")
    rebuild(root / "corpus", root / "index")
    return root


@pytest.mark.parametrize("args, code, message", [
    (["search", "水稻", "--year", "99999999999999999999"], 2,
     "错误：--year 99999999999999999999 不是四位数的年份（如 2026）"),
    (["crawl", "openstd", "--query", "GB/T 1.1", "--base-url", "http://[::1"], 2,
     "错误：--base-url 'http://[::1' 不是 URL（Invalid IPv6 URL）"),
    (["crawl", "openstd", "--base-url", "http://x:99999"], 2,
     "错误：--base-url 'http://x:99999' 不是 URL（Port out of range 0-65535）"),
    (["search", "\udcff"], 2, "错误：参数 b'\\xff' 不是 UTF-8 文本"),  # what $'\xff' becomes in argv
    (["crawl", "openstd", "--query", "\udcff"], 2, "错误：参数 b'\\xff' 不是 UTF-8 文本"),
    (["index", "rebuild", "--wait", "nan"], 2, "错误：--wait 的值无效：须为 0 到 86400 之间的秒数"),
    (["index", "rebuild", "--wait", "inf"], 2, "错误：--wait 的值无效：须为 0 到 86400 之间的秒数"),
    (["policy-gaps", LONG], 1, f"错误：没有与 '{LONG[:20]}"),
])
def test_one_clear_line(kb_dirs, tmp_path, monkeypatch, args, code, message):
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    result = runner.invoke(cli.app, ["--corpus", str(kb_dirs / "corpus"), "--index", str(kb_dirs / "index"), *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output
