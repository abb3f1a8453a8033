"""Index damage is always exit 4 and always recoverable (issue 18, item 5): flipped bytes
in the stored-field area, a deleted clause segment, a non-UTF-8 CURRENT and a corrupt
hashes.json. `kb index update` checks the files it links forward, `kb index verify`
catches each, `kb index rebuild` always recovers."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import whoosh.index
from typer.testing import CliRunner

import cli
from index import build, store
from kb.paths import shipped_corpus_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
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


def flip_stored_fields(gen: Path) -> None:
    """XOR every 97th byte of the records segment's stored-field area."""
    ix = whoosh.index.open_dir(str(gen), indexname="records")
    [segment] = ix._segments()
    compound = segment.open_compound_file(ix.storage)
    area = next(v for k, v in compound._dir.items() if k.endswith("_stored.col"))
    compound.close()
    path = next(gen.glob("records_*.seg"))
    data = bytearray(path.read_bytes())
    for i in range(area["offset"] + 16, area["offset"] + area["length"] - 200, 97):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def assert_rebuild_recovers(index):
    assert kb(index, "index", "rebuild").exit_code == 0
    assert kb(index, "index", "verify").exit_code == 0
    assert kb(index, "index", "update").exit_code == 0
    assert kb(index, "get", "AQ 1051-2008").exit_code == 0


def test_flipped_stored_field_bytes(index):
    gen = store.open_generation(index[1]).path
    flip_stored_fields(gen)
    for args in (["search", "标准"], ["get", "AQ 1051-2008"]):
        result = kb(index, *args)
        assert result.exit_code == 4, result.output
        assert result.stderr.startswith("错误：索引已损坏（zlib.error: ")
        assert "提示：运行 `kb index rebuild`" in result.stderr
    updated = kb(index, "index", "update")
    assert updated.exit_code == 4
    segment = next(gen.glob("records_*.seg")).name
    assert updated.stderr.startswith(f"错误：索引版本 {gen.name} 已损坏（{segment} changed")
    verified = json.loads(kb(index, "index", "verify", "--json").stdout)
    assert verified["exit_code"] == 4
    assert [c["ok"] for c in verified["checks"] if c["name"] == "files"] == [False]
    assert_rebuild_recovers(index)


def test_a_deleted_clause_segment(index):
    gen = store.open_generation(index[1]).path
    clause_segment = next(gen.glob("clauses_*.seg"))
    clause_segment.unlink()
    updated = kb(index, "index", "update")
    assert updated.exit_code == 4
    assert updated.stderr.startswith(f"错误：索引版本 {gen.name} 已损坏（{clause_segment.name} missing")
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
