"""Hostile strings from data and paths through every command: rich markup, emoji codes, ANSI
escape sequences, bell and bidi overrides are shown as text or removed, never interpreted
(issue 14 item 3, issue 18 item 4). The corpus is synthetic_*: records shaped like the
shipped ones, with hostile titles, scopes, departments, a hostile policy text and paths."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import cli
from kb.records import Record, Source

runner = CliRunner()
MARKUP = "[bold red]粗体[/]"
HOSTILE = f"{MARKUP} :100: \x1b[31m红字\x1b[0m\x1b]0;改标题\x07 响铃\x07 \u202e反向 电缆"
SHOWN = f"{MARKUP} :100: 红字 响铃 反向 电缆"  # what a terminal may show of HOSTILE
PATH_MARKUP = "[bold red]粗体[blink]"  # a path cannot hold the "/" of [/]
HOSTILE_NAME = f"{PATH_MARKUP}:100:\x1b[31m红字\x1b[0m\u202e反向"
BAD = ("\x1b", "\x07", "\u202e", "💯")


def assert_clean(result, *shown: str) -> None:
    for stream in (result.stdout, result.stderr):
        assert not any(bad in stream for bad in BAD), (stream, result.exception)
    assert "Traceback" not in result.output
    for text in shown:
        assert text in result.output, (text, result.output)


def synthetic_records() -> list[Record]:
    source = Source("synthetic", url=f"https://std.samr.gov.cn/{HOSTILE}", fetched_at="2026-11-26T01:00:00+00:00")
    return [
        Record.for_number("GB/T 99001-2026", title=f"{HOSTILE} 电线电缆", scope=HOSTILE, dept=HOSTILE,
                          status="current", issue_date="2026-01-05", replaces=["GB/T 99001-2010"], sources=[source]),
        Record.for_number("GB/T 99001-2010", title=f"{HOSTILE} 旧版", status="replaced",
                          replaced_by=["GB/T 99001-2026"], sources=[source]),
        Record.for_number("DB11/T 99003-2026", title=f"{HOSTILE} 电缆 北京", status="unknown",
                          issue_date="2026-02-01", sources=[source]),
    ]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / f"corpus{PATH_MARKUP}:100:"
    corpus.mkdir()
    (corpus / "standards.jsonl").write_text("".join(r.to_json() + "\n" for r in synthetic_records()), encoding="utf-8")
    change = {"date": "2026-11-26", "change": "new", "number": "GB/T 99001-2026", "title": HOSTILE,
              "level": "national", "region": "", "ccs": [], "status": "current", "previous_status": None,
              "replaces": [HOSTILE], "replaced_by": [], "effective_date": "2026-01-05", "effective_date_kind": "issue",
              "source": HOSTILE, "via": HOSTILE}
    (corpus / "changes.jsonl").write_text(json.dumps(change, ensure_ascii=False) + "\n", encoding="utf-8")
    policy = root / "synthetic_hostile_policy.txt"
    policy.write_text(f"{HOSTILE}\n一、总体要求\n(一)推动电线电缆、{HOSTILE}等产品标准化。\n"
                      f"二、重点任务\n(一)发展{HOSTILE}电缆产业。\n", encoding="utf-8")
    dirs = ["--index", str(root / "index"), "--corpus", str(corpus)]
    ingested = runner.invoke(cli.app, [*dirs, "ingest", str(policy), "--kind", "policy", "--title", HOSTILE])
    assert ingested.exit_code == 0, ingested.output
    built = runner.invoke(cli.app, [*dirs, "build"])
    assert built.exit_code == 0, built.output
    return {"root": root, "dirs": dirs, "policy": policy, "home": root / "home"}


def kb(env, *args):
    return runner.invoke(cli.app, [*env["dirs"], *args], env={"COLUMNS": "400", "KB_HOME": str(env["home"])})


@pytest.mark.parametrize("args, shown", [
    (["search", "电缆"], [MARKUP, ":100:"]),
    (["search", "电缆", "--clauses"], [MARKUP]),
    (["get", "GB/T 99001-2026"], [SHOWN, "std.samr.gov.cn/" + MARKUP]),
    (["get", "GB/T 99001"], [MARKUP]),
    (["get", "GB/T 99001-2026", "--csv"], [MARKUP]),
    (["cover", "电缆"], [MARKUP]),
    (["cover", "电缆", "--csv"], [MARKUP]),
    (["gaps", "--by", "region"], []),
    (["changes"], [SHOWN]),
    (["changes", "--csv"], [MARKUP]),
    (["stats"], []),
    (["outline", SHOWN.strip()], [MARKUP]),
    (["clause", SHOWN.strip(), "一"], [MARKUP]),
    (["term", MARKUP], []),
    (["index", "verify"], []),
])
def test_read_commands(env, args, shown):
    assert_clean(kb(env, *args), *shown)


def test_policy_gaps_on_a_hostile_policy_file(env):
    assert_clean(kb(env, "policy-gaps", str(env["policy"])), "synthetic_hostile_policy")


def test_check_a_file_with_a_hostile_name(env):
    document = env["root"] / f"{HOSTILE_NAME}.txt"
    document.write_text("本文件引用 GB/T 99001-2010 和 GB/T 1.1-2020。\n", encoding="utf-8")
    other = env["root"] / "synthetic_other.txt"
    other.write_text("GB/T 99001-2026\n", encoding="utf-8")
    result = kb(env, "check", str(document), str(other))
    assert result.exit_code == 1
    assert_clean(result, f"{PATH_MARKUP}:100:", "GB/T 99001-2026")


def test_import_and_its_errors(env, tmp_path):
    table = tmp_path / f"synthetic_{HOSTILE_NAME}.csv"
    table.write_text(f"标准号,标准名称\nGB/T 99004-2026,{HOSTILE}\n{HOSTILE},坏行\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "standards.jsonl").write_text("", encoding="utf-8")
    result = runner.invoke(cli.app, ["--corpus", str(corpus), "--index", str(tmp_path / "ix"), "import", str(table)])
    assert_clean(result, MARKUP)


def test_ingest_build_and_parse_errors_with_hostile_paths(env, tmp_path):
    folder = tmp_path / f"texts{PATH_MARKUP}:100:"
    folder.mkdir()
    (folder / f"{HOSTILE_NAME}.png").write_bytes(b"\x89PNG")
    (folder / "synthetic_empty.txt").write_text("", encoding="utf-8")
    corpus = tmp_path / f"corpus{PATH_MARKUP}:100:"
    corpus.mkdir()
    (corpus / "standards.jsonl").write_text(synthetic_records()[0].to_json() + "\n{\"id\": \n", encoding="utf-8")
    ingested = runner.invoke(cli.app, ["--corpus", str(corpus), "ingest", str(folder)], env={"COLUMNS": "400"})
    assert_clean(ingested, f"{PATH_MARKUP}:100:")
    built = runner.invoke(cli.app, ["--corpus", str(corpus), "--index", str(tmp_path / f"ix{PATH_MARKUP}"), "build"])
    assert built.exit_code == 1
    assert_clean(built, f"{PATH_MARKUP}:100:/standards.jsonl:2: 无效的 JSON")
    parsed = kb(env, "parse", "auto", str(folder / f"{HOSTILE_NAME}.png"))
    assert_clean(parsed, f"{PATH_MARKUP}:100:")


def test_watch_items(env):
    assert_clean(kb(env, "watch", "add", f"term:{HOSTILE}"), MARKUP)
    assert_clean(kb(env, "watch", "list"), MARKUP)
    assert_clean(kb(env, "changes", "--watched"), MARKUP)


def test_errors_with_hostile_input(env):
    for args in (["get", HOSTILE], ["search", "电缆", "--region", HOSTILE], ["clause", HOSTILE, "第一条"],
                 ["search", HOSTILE, "--level", HOSTILE, "--json"]):
        result = kb(env, *args)
        assert result.exit_code != 0
        assert_clean(result, MARKUP)


def test_clean_removes_whole_escape_sequences():
    from kb.render import clean, escape

    assert clean(HOSTILE) == SHOWN.replace(MARKUP, MARKUP)
    assert clean("链接\x1b]8;;https://example.org\x1b\\文字\x1b]8;;\x1b\\ 完") == "链接文字 完"
    assert escape(HOSTILE).startswith("\\[bold red]粗体\\[/]")
