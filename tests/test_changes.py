"""Change tracking: every kind of change with its date and source, logged by imports (and the
crawler hook), listed and filtered by `kb changes`."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import cli
from crawlers.importer import import_files
from kb.changes import CHANGES_FILE, diff_records, list_changes, parse_since, record_changes
from kb.errors import BadInput
from kb.records import Record, Source
from tests.conftest import ANNOUNCEMENTS
from tests.standards_fixtures import TODAY, freeze_today, write_synthetic_statuses

runner = CliRunner()
DB_FILE = ANNOUNCEMENTS / "003_db_2026_07.json"
DB_URL = json.loads(DB_FILE.read_text(encoding="utf-8"))["_source_url"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def _record(number, source_url="file:///a.csv", **values):
    source = Source("table", url=source_url, fetched_at="2026-11-26T01:00:00+00:00")
    return Record.for_number(number, sources=[source], **values)


# -- diff ------------------------------------------------------------------------------------

def test_new_record_entry_in_full():
    new = _record("GB/T 1.1-2020", title="标准化工作导则", status="current", issue_date="2020-03-31",
                  replaces=["GB/T 1.1-2009"], ccs=["A00"])
    [entry] = diff_records({}, {new.id: new}, "import a.csv")
    assert entry == {
        "date": "2026-11-26", "change": "new", "number": "GB/T 1.1-2020", "title": "标准化工作导则",
        "level": "national", "region": "", "ccs": ["A00"], "status": "current", "previous_status": None,
        "replaces": ["GB/T 1.1-2009"], "replaced_by": [], "effective_date": "2020-03-31",
        "effective_date_kind": "issue", "source": "file:///a.csv", "via": "import a.csv",
    }


@pytest.mark.parametrize("old_values, new_values, kind, effective", [
    ({"status": "current"}, {"status": "withdrawn", "withdrawal_date": "2017-03-23"}, "withdrawn", "2017-03-23"),
    ({"status": "unknown"}, {"status": "replaced", "replaced_by": ["GB/T 1.1-2020"],
                             "withdrawal_date": "2020-10-01"}, "replaced", "2020-10-01"),
    ({"status": "upcoming", "implementation_date": "2020-10-01"},
     {"status": "current", "implementation_date": "2020-10-01"}, "status_changed", "2020-10-01"),
    ({"status": "current", "title": "旧名称"}, {"status": "current", "title": "新名称"}, "fields_changed", ""),
])
def test_each_kind_of_change(old_values, new_values, kind, effective):
    old = _record("GB/T 1.1-2009", **old_values)
    new = _record("GB/T 1.1-2009", source_url="https://example.org/detail/1", **new_values)
    [entry] = diff_records({old.id: old}, {new.id: new}, "crawl samr")
    assert (entry["change"], entry["effective_date"], entry["previous_status"]) == (kind, effective, old.status)
    assert (entry["date"], entry["source"], entry["via"]) == ("2026-11-26", "https://example.org/detail/1", "crawl samr")
    changed = {name for name in ("status", "title", "withdrawal_date", "replaced_by")
               if getattr(old, name) != getattr(new, name)}
    assert set(entry["fields"]) == changed


def test_an_unchanged_record_logs_nothing():
    old = _record("GB/T 1.1-2020", title="导则", status="current")
    assert diff_records({old.id: old}, {old.id: _record("GB/T 1.1-2020", title="导则", status="current")}, "x") == []


def test_crawler_hook_with_only_the_changed_records(tmp_path):
    """crawlers/crawl.py passes `before`/`after` holding just the records a flush touched."""
    old = _record("DB23/T 2419-2019", status="unknown")
    new_old = _record("DB23/T 2419-2019", source_url=DB_URL, status="replaced", replaced_by=["DB23/T 2419-2026"])
    fresh = _record("DB23/T 2419-2026", source_url=DB_URL, title="地理标志产品 佳木斯大米",
                    replaces=["DB23/T 2419-2019"], issue_date="2026-08-01")
    changes = record_changes(tmp_path, {old.id: old}, {new_old.id: new_old, fresh.id: fresh}, "crawl dbba")
    assert [(c["number"], c["change"], c["via"]) for c in changes] == [
        ("DB23/T 2419-2019", "replaced", "crawl dbba"), ("DB23/T 2419-2026", "new", "crawl dbba")]
    logged = [json.loads(line) for line in (tmp_path / CHANGES_FILE).read_text(encoding="utf-8").splitlines()]
    assert logged == changes


# -- imports in two steps -------------------------------------------------------------------------

@pytest.fixture()
def two_steps(tmp_path):
    """Step 1: DB23/T 2419—2019 from a list, and the synthetic statuses. Step 2: the real local-
    standard announcement (DB23/T 2419—2026 replaces it) and an updated status list."""
    corpus, inputs = tmp_path / "corpus", tmp_path / "inputs"
    corpus.mkdir()
    inputs.mkdir()
    old = inputs / "old.csv"
    old.write_text("标准号,标准名称\nDB23/T 2419—2019,地理标志产品 佳木斯大米\n", encoding="utf-8")
    first = import_files([old, write_synthetic_statuses(inputs)], corpus, record_changes=record_changes)
    later = inputs / "synthetic_later.csv"
    later.write_text("标准号,实施日期,废止日期,状态\n"
                     "GB/T 5023.8-2026,2026-11-01,,现行\n"
                     "GB/T 5023.1-2008,2009-05-01,2026-11-20,废止\n", encoding="utf-8")
    second = import_files([DB_FILE, later], corpus, record_changes=record_changes)
    return {"corpus": corpus, "first": first, "second": second, "later": later}


def test_second_step_reports_what_it_changed(two_steps):
    changes = {c["number"]: c for c in two_steps["second"].changes}
    old = changes["DB23/T 2419-2019"]
    assert (old["change"], old["previous_status"], old["status"], old["replaced_by"]) == (
        "replaced", "unknown", "replaced", ["DB23/T 2419-2026"])
    assert (old["title"], old["source"], old["date"]) == ("地理标志产品 佳木斯大米", DB_URL, "2026-11-26")
    assert old["via"] == f"{DB_FILE}, {two_steps['later']}"
    new = changes["DB23/T 2419-2026"]
    assert (new["change"], new["replaces"], new["effective_date"], new["source"]) == (
        "new", ["DB23/T 2419-2019"], "2026-08-01", DB_URL)
    upcoming = changes["GB/T 5023.8-2026"]
    assert (upcoming["change"], upcoming["previous_status"], upcoming["status"], upcoming["effective_date"]) == (
        "status_changed", "upcoming", "current", "2026-11-01")
    assert upcoming["source"] == two_steps["later"].resolve().as_uri()
    withdrawn = changes["GB/T 5023.1-2008"]
    assert (withdrawn["change"], withdrawn["effective_date"]) == ("withdrawn", "2026-11-20")
    assert withdrawn["fields"]["status"] == {"old": "current", "new": "withdrawn"}
    kinds: dict[str, int] = {}
    for change in two_steps["second"].changes:
        kinds[change["change"]] = kinds.get(change["change"], 0) + 1
    # 427 announced local standards; 87 editions they replace (86 not seen before, plus 2419—2019).
    assert kinds == {"new": 427, "replaced": 87, "status_changed": 1, "withdrawn": 1}


def test_changes_log_holds_both_steps(two_steps):
    log = list_changes(two_steps["corpus"])
    assert len(log.changes) == len(two_steps["first"].changes) + len(two_steps["second"].changes)
    assert log.errors == []
    first = [c["number"] for c in log.changes[:len(two_steps["first"].changes)]]
    assert first == ["DB23/T 2419-2019", "GB/T 1.1-2009", "GB/T 1.1-2020", "GB/T 12345-1990",
                     "GB/T 5023.1-2008", "GB/T 5023.8-2026"]


def test_filters(two_steps):
    corpus = two_steps["corpus"]
    heilongjiang = list_changes(corpus, level="local", region="23", kinds=["replaced"])
    assert "DB23/T 2419-2019" in [c["number"] for c in heilongjiang.changes]
    assert all(c["number"].startswith("DB23") and c["change"] == "replaced" for c in heilongjiang.changes)
    assert [c["number"] for c in list_changes(corpus, status="withdrawn").changes] == [
        "GB/T 12345-1990", "GB/T 5023.1-2008"]
    assert list_changes(corpus, since="2026-11-27").changes == []
    assert len(list_changes(corpus, since="0d", today=TODAY).changes) == len(list_changes(corpus).changes)
    with pytest.raises(BadInput, match="无法识别的变更类型 'gone'"):
        list_changes(corpus, kinds=["gone"])


def test_parse_since():
    assert parse_since("7d", TODAY) == "2026-11-19"
    assert parse_since("2026-08-01") == "2026-08-01"
    with pytest.raises(BadInput, match=r"--since 'yesterday' 不是日期（如 2026-08-01）"):
        parse_since("yesterday")


# -- CLI ----------------------------------------------------------------------------------------------

def kb(corpus, *args):
    return runner.invoke(cli.app, ["--index", str(corpus.parent / "ix"), "--corpus", str(corpus), *args])


def test_cli_changes_json_is_a_list(two_steps):
    result = kb(two_steps["corpus"], "changes", "--region", "黑龙江", "--kind", "new", "--json")
    assert result.exit_code == 0
    changes = json.loads(result.stdout)
    assert "DB23/T 2419-2026" in [c["number"] for c in changes]
    assert {c["change"] for c in changes} == {"new"} and {c["region"][:2] for c in changes} == {"23"}


def test_cli_changes_human(two_steps):
    result = kb(two_steps["corpus"], "changes", "--status", "withdrawn")
    assert result.exit_code == 0
    for text in ("日期", "变更", "标准号", "废止", "GB/T 12345-1990", "原状态", "共 2 条变更"):
        assert text in result.stdout, text


def test_cli_changes_csv(two_steps):
    result = kb(two_steps["corpus"], "changes", "--kind", "status_changed", "--csv")
    rows = result.stdout.splitlines()
    assert rows[0] == "日期,变更,标准号,标准名称,状态,原状态,代替标准,被代替为,生效日期,来源,关注项"
    assert rows[1].startswith("2026-11-26,status_changed,GB/T 5023.8-2026,")


def test_cli_bad_since_and_corrupt_log(two_steps):
    result = kb(two_steps["corpus"], "changes", "--since", "yesterday")
    assert result.exit_code == 2 and result.stderr.startswith("错误：--since 'yesterday' 不是日期")
    log = two_steps["corpus"] / CHANGES_FILE
    log.write_text(log.read_text(encoding="utf-8") + '{"change": "new", "numb\n', encoding="utf-8")
    result = kb(two_steps["corpus"], "changes", "--status", "withdrawn", "--json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 2
    assert "已跳过" in result.stderr and "无效的 JSON" in result.stderr
    assert "Traceback" not in result.output


def test_no_log_yet(tmp_path):
    result = kb(tmp_path, "changes")
    assert result.exit_code == 0 and "共 0 条变更" in result.stdout


# -- mistyped lines (issue 18, item 7) ---------------------------------------------------------

def test_mistyped_change_lines_are_reported_and_the_rest_listed(tmp_path):
    good = {"date": "2026-12-01", "change": "new", "number": "GB 1-2020", "title": "合成", "level": "national",
            "region": "", "ccs": [], "replaces": [], "replaced_by": [], "status": "current"}
    lines = [good, {**good, "number": 123, "date": 5, "level": [], "region": 7},
             {**good, "change": "exploded"}, {**good, "ccs": "K13"}, {**good, "region": 11}]
    (tmp_path / CHANGES_FILE).write_text("".join(json.dumps(l) + "\n" for l in lines), encoding="utf-8")
    log = list_changes(tmp_path, since="2026-01-01", region="1", level="national")
    assert log.changes == []  # the good one is not in region 1…, and nothing crashed
    log = list_changes(tmp_path)
    assert [c["number"] for c in log.changes] == ["GB 1-2020"]
    path = tmp_path / CHANGES_FILE
    assert log.errors == [f"{path}:2: date 须为字符串",
                          f"{path}:3: change 'exploded' 不是 new、replaced、withdrawn、status_changed、"
                          "fields_changed 之一",
                          f"{path}:4: ccs 须为字符串列表",
                          f"{path}:5: region 须为字符串"]
    shown = CliRunner().invoke(cli.app, ["--corpus", str(tmp_path), "changes"])
    assert shown.exit_code == 0 and "GB 1-2020" in shown.stdout
