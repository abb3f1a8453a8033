"""Watch lists: items of every kind in any spelling, kept in $KB_HOME/watch.json, and
`kb changes --watched` reporting only the changes they match."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import cli
from crawlers.importer import import_files
from kb.changes import list_changes, record_changes
from kb.errors import BadInput, KbError, NotFound, NumberError
from kb.watch import WATCH_FILE, WatchItem, WatchList, change_watch, parse_item
from tests.conftest import ANNOUNCEMENTS
from tests.standards_fixtures import freeze_today, write_synthetic_statuses

runner = CliRunner()
DB_FILE = ANNOUNCEMENTS / "003_db_2026_07.json"


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    freeze_today(monkeypatch)
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


# -- items ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, value", [
    ("db23t2419-2019", "number", "DB23/T 2419-2019"),
    ("ＧＢ／Ｔ　５６０６．１", "number", "GB/T 5606.1"),
    ("GB/T 5606", "series", "GB/T 5606"),
    ("DB23/T 2419", "series", "DB23/T 2419"),
    ("k13", "ccs", "K13"),
    ("ccs:k", "ccs", "K"),
    ("佳木斯  大米", "term", "佳木斯 大米"),
    ("term:GB/T 5606", "term", "GB/T 5606"),
    ("series:GB/T 5606.1-2008", "series", "GB/T 5606"),
    ("number:GB/T 5606", "number", "GB/T 5606"),
])
def test_item_kinds(text, kind, value):
    assert parse_item(text) == WatchItem(kind, value)


@pytest.mark.parametrize("text, error, message", [
    ("  ", BadInput, "关注项为空"),
    ("ccs:K1", BadInput, "'K1' 不是 CCS 类目（如 K13"),
    ("number:水稻", NumberError, "不是标准号：'水稻'"),
])
def test_bad_items(text, error, message):
    with pytest.raises(error, match=message):
        parse_item(text)


ENTRY = {"number": "DB23/T 2419-2026", "replaces": ["DB23/T 2419-2019"], "replaced_by": [],
         "title": "地理标志产品 佳木斯大米", "ccs": ["X11"]}


@pytest.mark.parametrize("text, matched", [
    ("DB23/T 2419-2026", True), ("DB23/T 2419—2019", True), ("DB23/T 2419-2010", False),
    ("DB23/T 2419", True), ("DB23/T 2418", False), ("number:DB23/T 2419", True),
    ("X11", True), ("ccs:X", True), ("K13", False),
    ("佳木斯 大米", True), ("佳木斯 水稻", False),
])
def test_matching(text, matched):
    assert parse_item(text).matches(ENTRY) is matched


# -- the file -------------------------------------------------------------------------------------

def test_add_remove_list_and_the_file(_home):
    added = change_watch(_home, "add", ["GB/T 5606", "k13", "DB23/T 2419—2019"])
    assert [i["value"] for i in added["added"]] == ["GB/T 5606", "K13", "DB23/T 2419-2019"]
    again = change_watch(_home, "add", ["gb/t5606"])
    assert again["added"] == [] and [i["value"] for i in again["unchanged"]] == ["GB/T 5606"]
    saved = json.loads((_home / WATCH_FILE).read_text(encoding="utf-8"))
    assert saved["version"] == 1 and saved["items"] == [
        {"kind": "series", "value": "GB/T 5606"}, {"kind": "ccs", "value": "K13"},
        {"kind": "number", "value": "DB23/T 2419-2019"}]
    removed = change_watch(_home, "remove", ["db23t2419-2019"])
    assert [i["value"] for i in removed["removed"]] == ["DB23/T 2419-2019"]
    assert [i.label for i in WatchList.load(_home).items] == ["series:GB/T 5606", "ccs:K13"]
    assert not list(_home.glob(f".{WATCH_FILE}.*.tmp"))  # the atomic write left no temp file


def test_removing_what_is_not_watched_changes_nothing(_home):
    change_watch(_home, "add", ["K13"])
    before = (_home / WATCH_FILE).read_text(encoding="utf-8")
    with pytest.raises(NotFound, match="不在关注列表中：series:GB/T 5606"):
        change_watch(_home, "remove", ["K13", "GB/T 5606"])
    assert (_home / WATCH_FILE).read_text(encoding="utf-8") == before


def test_corrupt_watch_file(_home):
    _home.mkdir(parents=True)
    (_home / WATCH_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(KbError, match="格式不对；请修正或删除"):
        WatchList.load(_home)


# -- changes of the watched items ---------------------------------------------------------------------

@pytest.fixture()
def corpus(tmp_path):
    """Two imports: DB23/T 2419—2019 and the synthetic statuses first, then the real local-standard
    announcement, in which DB23/T 2419—2026 replaces it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    old = tmp_path / "old.csv"
    old.write_text("标准号,标准名称\nDB23/T 2419—2019,地理标志产品 佳木斯大米\n", encoding="utf-8")
    import_files([old, write_synthetic_statuses(tmp_path)], corpus, record_changes=record_changes)
    import_files([DB_FILE], corpus, record_changes=record_changes)
    return corpus


def test_watched_changes(corpus, _home):
    change_watch(_home, "add", ["DB23/T 2419-2019"])
    log = list_changes(corpus, watch=WatchList.load(_home))
    assert [(c["number"], c["change"], c["watched"]) for c in log.changes] == [
        ("DB23/T 2419-2019", "new", ["number:DB23/T 2419-2019"]),  # the first import
        ("DB23/T 2419-2019", "replaced", ["number:DB23/T 2419-2019"]),
        ("DB23/T 2419-2026", "new", ["number:DB23/T 2419-2019"]),  # it replaces the watched edition
    ]


def test_watched_ccs_and_terms(corpus, _home):
    change_watch(_home, "add", ["K13", "水稻"])
    log = list_changes(corpus, since="2026-11-26", watch=WatchList.load(_home))
    k13 = [c["number"] for c in log.changes if "ccs:K13" in c["watched"]]
    assert k13 == ["GB/T 5023.1-2008", "GB/T 5023.8-2026"]
    rice = [c for c in log.changes if "term:水稻" in c["watched"]]
    items = json.loads(DB_FILE.read_text(encoding="utf-8"))["items"]
    assert len(rice) == sum("水稻" in item["std_name"] for item in items) > 0
    assert all("水稻" in c["title"] for c in rice)


def test_watched_series_across_parts(tmp_path, _home):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    import_files([ANNOUNCEMENTS / "002_hb_2026_07.json"], corpus, record_changes=record_changes)
    change_watch(_home, "add", ["YS/T 575"])
    log = list_changes(corpus, watch=WatchList.load(_home))
    assert [(c["number"], c["change"]) for c in log.changes] == [
        ("YS/T 575.1-2007", "replaced"), ("YS/T 575.1-2026", "new"), ("YS/T 575.2-2007", "replaced"),
        ("YS/T 575.2-2026", "new"), ("YS/T 575.3-2007", "replaced"), ("YS/T 575.8-2007", "replaced"),
        ("YS/T 575.8-2026", "new")]


# -- CLI ---------------------------------------------------------------------------------------------

def kb(corpus, *args):
    return runner.invoke(cli.app, ["--index", str(corpus.parent / "ix"), "--corpus", str(corpus), *args])


def test_cli_watch_and_nightly_alert(corpus, _home):
    result = kb(corpus, "watch", "add", "db23t2419-2019", "K13")
    assert result.exit_code == 0
    assert "已添加：标准号 DB23/T 2419-2019" in result.stdout and "已添加：中国标准分类号 K13" in result.stdout
    listed = json.loads(kb(corpus, "watch", "list", "--json").stdout)
    assert [(i["kind"], i["value"]) for i in listed["items"]] == [("number", "DB23/T 2419-2019"), ("ccs", "K13")]
    alert = kb(corpus, "changes", "--since", "1d", "--watched", "--json")
    assert alert.exit_code == 0
    assert [(c["number"], c["change"]) for c in json.loads(alert.stdout)] == [
        ("DB23/T 2419-2019", "new"), ("GB/T 5023.1-2008", "new"), ("GB/T 5023.8-2026", "new"),
        ("DB23/T 2419-2019", "replaced"), ("DB23/T 2419-2026", "new")]
    human = kb(corpus, "changes", "--watched", "--kind", "replaced")
    assert "关注项" in human.stdout and "共 1 条变更" in human.stdout
    removed = kb(corpus, "watch", "remove", "DB23/T 2419—2019", "--json")
    assert removed.exit_code == 0 and json.loads(removed.stdout)["removed"][0]["value"] == "DB23/T 2419-2019"


def test_cli_watch_errors(corpus, _home):
    result = kb(corpus, "watch", "remove", "GB/T 5606")
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：不在关注列表中：series:GB/T 5606")
    result = kb(corpus, "watch", "add", "ccs:K1")
    assert result.exit_code == 2 and result.stderr.startswith("错误：'K1' 不是 CCS 类目")
    (_home / WATCH_FILE).write_text("[]", encoding="utf-8")
    result = kb(corpus, "changes", "--watched")
    assert result.exit_code == 1 and "格式不对；请修正或删除" in result.stderr
    assert "Traceback" not in result.output


def test_empty_watch_list(corpus):
    result = kb(corpus, "watch", "list")
    assert result.exit_code == 0 and "关注列表为空" in result.stdout


def test_unwritable_home_is_one_line(tmp_path):
    home = tmp_path / "file-not-dir"
    home.write_text("", encoding="utf-8")
    with pytest.raises(KbError, match="无法写入关注列表"):
        change_watch(home, "add", ["K13"])


@pytest.mark.parametrize("item", [{"kind": "number", "value": 123}, {"kind": "series", "value": "不是系列"},
                                  {"kind": "ccs", "value": "13"}])
def test_a_mistyped_watch_item_is_one_clear_error(tmp_path, item):
    from kb.errors import KbError
    from kb.watch import WatchList

    (tmp_path / "watch.json").write_text(json.dumps({"items": [item]}), encoding="utf-8")
    with pytest.raises(KbError) as error:
        WatchList.load(tmp_path)
    label = f"{item['kind']}:{item['value']}"
    assert str(error.value) == f"关注列表 {tmp_path / 'watch.json'} 中有无效的条目 {label!r}；请修正或删除"
