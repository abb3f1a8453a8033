"""Index damage is always exit 4 and always recoverable (issue 18, item 5): flipped bytes
in the stored-field area, a deleted clause segment, a non-UTF-8 CURRENT and a corrupt
hashes.json. `kb index update` checks the files it links forward, `kb index verify`
catches each, `kb index rebuild` always recovers."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from index import build, store
from kb.paths import shipped_corpus_dir
from tests.engine_files import flip_stored_fields, segment_file

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

runner = CliRunner()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, kb_engine) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pristine")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(shipped_corpus_dir() / "standards.jsonl", corpus)
    shutil.copy(shipped_corpus_dir() / "texts.jsonl", corpus)
    build.rebuild(corpus, root / "index")
    return corpus, root / "index"


@pytest.fixture
def index(pristine, tmp_path) -> tuple[Path, Path]:
    corpus, index_dir = pristine
    shutil.copytree(index_dir, tmp_path / "index")
    return corpus, tmp_path / "index"


def kb(index, *args):
    corpus, index_dir = index
    return runner.invoke(cli.app, ["--index", str(index_dir), "--corpus", str(corpus), *args])


def assert_rebuild_recovers(index):
    assert kb(index, "index", "rebuild").exit_code == 0
    assert kb(index, "index", "verify").exit_code == 0
    assert kb(index, "index", "update").exit_code == 0
    assert kb(index, "get", "AQ 1051-2008").exit_code == 0


DAMAGE_MESSAGE = {"whoosh": "错误：索引已损坏（zlib.error: ", "tantivy": "错误：索引已损坏（tantivy: "}


def test_flipped_stored_field_bytes(index, kb_engine):
    gen = store.open_generation(index[1]).path
    flip_stored_fields(gen, kb_engine)
    for args in (["search", "标准"], ["get", "AQ 1051-2008"]):
        result = kb(index, *args)
        assert result.exit_code == 4, result.output
        assert result.stderr.startswith(DAMAGE_MESSAGE[kb_engine])
        assert "提示：运行 `kb index rebuild`" in result.stderr
    updated = kb(index, "index", "update")
    assert updated.exit_code == 4
    segment = segment_file(gen, "records", kb_engine).relative_to(gen).as_posix()
    assert updated.stderr.startswith(f"错误：索引版本 {gen.name} 已损坏（{segment} changed")
    verified = json.loads(kb(index, "index", "verify", "--json").stdout)
    assert verified["exit_code"] == 4
    assert [c["ok"] for c in verified["checks"] if c["name"] == "files"] == [False]
    assert_rebuild_recovers(index)


def test_a_deleted_clause_segment(index, kb_engine):
    gen = store.open_generation(index[1]).path
    clause_segment = segment_file(gen, "clauses", kb_engine)
    clause_segment.unlink()
    updated = kb(index, "index", "update")
    assert updated.exit_code == 4
    name = clause_segment.relative_to(gen).as_posix()
    assert updated.stderr.startswith(f"错误：索引版本 {gen.name} 已损坏（{name} missing")
    assert kb(index, "index", "verify").exit_code == 4
    assert_rebuild_recovers(index)


def test_a_current_pointer_that_is_not_utf8(index):
    (index[1] / store.POINTER).write_bytes(b"\xff\xfe gen-\x80\n")
    searched = kb(index, "search", "标准")
    assert searched.exit_code == 4
    assert searched.stderr.startswith(f"错误：{index[1]} 的 CURRENT 文件已损坏（未指向任何索引版本）")
    assert kb(index, "index", "verify").exit_code == 4
    assert kb(index, "index", "update").exit_code == 4
    assert_rebuild_recovers(index)


@pytest.mark.parametrize("content", ['{"AQ 1051-2008": 1}', "[]", '"x"'])
def test_a_corrupt_hashes_json(index, content):
    gen = store.open_generation(index[1]).path
    (gen / store.HASHES).write_text(content, encoding="utf-8")
    verified = json.loads(kb(index, "index", "verify", "--json").stdout)
    assert verified["exit_code"] == 4
    assert {c["name"]: c["ok"] for c in verified["checks"]}["hashes"] is False
    assert kb(index, "index", "update").exit_code == 4
    assert_rebuild_recovers(index)
