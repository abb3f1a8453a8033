"""`kb mcp` as an AI assistant's client meets it: the MCP SDK's own client starts it as a
subprocess over stdio, lists the tools and calls every one, on the shipped corpus."""
from __future__ import annotations

import json
import os
import subprocess

import anyio
import pytest

from tests.conftest import ROOT, kb_command

TOOLS = {"search_standards", "get_standard", "check_citations", "cover", "coverage_gaps", "policy_gaps",
         "get_clause", "outline", "search_clauses", "changes"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("mcp-home")
    return {"KB_HOME": str(home), "KB_CORPUS": str(ROOT / "corpus"), "PATH": os.environ.get("PATH", "")}


@pytest.fixture(scope="module")
def session(env):
    """Every call of the module goes through one `kb mcp` subprocess: a list of
    (tool, arguments) in, the CallToolResults out, plus the tool listing."""
    from mcp import Client, StdioServerParameters

    command = kb_command()
    params = StdioServerParameters(command=command[0], args=[*command[1:], "mcp"], env=env, cwd=str(ROOT))

    def run(calls: list[tuple[str, dict]]):
        async def main():
            async with Client(params, read_timeout_seconds=120) as client:
                listed = await client.list_tools()
                results = [await client.call_tool(name, args) for name, args in calls]
                return listed.tools, results
        return anyio.run(main)
    return run


def answer(result) -> dict | list:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def cli_json(env, *args) -> dict | list:
    done = subprocess.run([*kb_command(), *args, "--json"], env={**os.environ, **env}, capture_output=True,
                          text=True, cwd=ROOT)
    return json.loads(done.stdout)


def test_lists_and_calls_every_tool(session, env):
    calls = [
        ("search_standards", {"query": "水稻", "level": "local", "limit": 3}),
        ("get_standard", {"number": "db23t2419-2019"}),
        ("check_citations", {"text": "应符合 ＤＢ２３／Ｔ　２４１９—２０１９ 和 GB/T 99999-2020 的规定"}),
        ("cover", {"query": "K13"}),
        ("coverage_gaps", {"by": "region", "level": "local"}),
        ("policy_gaps", {"doc": "质量强国首善之区建设意见"}),
        ("get_clause", {"doc": "标准化法", "path": "第十条"}),
        ("outline", {"doc": "计量法", "depth": 1}),
        ("search_clauses", {"query": "计量器具", "limit": 2}),
        ("changes", {"since": "2000-01-01", "kind": ["replaced"]}),
    ]
    tools, results = session(calls)
    assert {t.name for t in tools} == TOOLS
    for tool in tools:
        assert tool.input_schema["type"] == "object"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in tool.description), tool.name  # Chinese …
        assert any(word in tool.description for word in ("standard", "clause", "polic", "change")), tool.name  # … and English
    got = dict(zip([name for name, _ in calls], (answer(r) for r in results)))

    assert got["search_standards"] == cli_json(env, "search", "水稻", "--level", "local", "--limit", "3")
    standard = got["get_standard"]
    assert {k: v for k, v in standard.items() if k not in ("chain", "text")} == cli_json(env, "get", "db23t2419-2019")
    assert standard["status"] == "replaced" and standard["replaced_by"] == ["DB23/T 2419-2026"]
    assert standard["chain"]["later"][0]["number"] == "DB23/T 2419-2026"
    check = got["check_citations"]
    assert [(c["number"], c["status"], c["in_kb"], c["latest"]) for c in check["citations"]] == [
        ("DB23/T 2419-2019", "replaced", True, "DB23/T 2419-2026"), ("GB/T 99999-2020", "unknown", False, "")]
    assert check["failed"] is True
    assert got["cover"] == cli_json(env, "cover", "K13")
    gaps = got["coverage_gaps"]
    assert gaps["by"] == "region" and {r["name"] for r in gaps["rows"]} >= {"黑龙江", "江苏"}
    policy = got["policy_gaps"]
    assert policy["doc"]["title"] == "关于加快建设质量强国首善之区的意见" or "质量强国" in policy["doc"]["title"]
    assert policy["counts"]["areas"] == len(policy["areas"]) > 0
    clause = got["get_clause"]
    assert clause["path"] == "第十条" and clause["text"].startswith("对保障人身健康和生命财产安全")
    assert got["outline"]["outline"][0]["path"] == "第一章"
    assert got["search_clauses"]["hits"][0]["doc_title"].startswith("中华人民共和国计量法")
    assert got["changes"] == cli_json(env, "changes", "--since", "2000-01-01", "--kind", "replaced")


def test_errors_are_tool_errors_and_the_server_keeps_serving(session):
    calls = [
        ("no_such_tool", {}),
        ("get_standard", {"number": "GB 99999-2099"}),
        ("get_standard", {"number": "DB23/T 2419-2019", "verbose": True}),
        ("search_standards", {"query": "水" * 100_000}),
        ("search_standards", {"query": "水稻", "level": "planetary"}),
        ("search_standards", {"query": "<script>alert(1)</script>"}),
        ("check_citations", {"text": "x" * (6 * 1024 * 1024)}),
        ("outline", {"doc": "没有这部法"}),
        ("get_standard", {"number": "DB23/T 2419-2019"}),
    ]
    _tools, results = session(calls)
    messages = [r.content[0].text for r in results]
    assert [r.is_error for r in results] == [True] * 5 + [False, True, True, False]
    assert messages[0].startswith("unknown tool 未知工具 'no_such_tool'")
    assert "知识库中没有 GB 99999-2099" in messages[1]
    assert messages[2].startswith("unknown argument 未知参数 'verbose' for get_standard")
    assert messages[3] == "invalid arguments 参数无效: query: String should have at most 500 characters"
    assert messages[4].startswith("invalid arguments 参数无效: level:")
    assert json.loads(messages[5])["query"] == "<script>alert(1)</script>"  # only words to search for, as JSON
    assert "文本过大：最多 5 MB" in messages[6]
    assert "没有这部法" in messages[7]
    assert all("\n" not in m for m in messages[:5] + messages[6:8])  # one line each
    assert json.loads(messages[8])["number"] == "DB23/T 2419-2019"  # still serving


def test_kb_mcp_json_lists_the_same_tools():
    done = subprocess.run([*kb_command(), "mcp", "--json"], capture_output=True, text=True, check=True, cwd=ROOT)
    assert {t["name"] for t in json.loads(done.stdout)} == TOOLS
