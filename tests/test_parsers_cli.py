"""`kb parse SOURCE FILE [--url URL] [--json]` through the CLI."""
from __future__ import annotations

import json

from typer.testing import CliRunner

import cli
from conftest import PAGES

runner = CliRunner()
DECODED = PAGES / "relaton-gb" / "decoded"


def test_parse_json_detects_the_parser():
    result = runner.invoke(cli.app, ["parse", "auto", str(DECODED / "gb_t_1_1__09.html"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (record,) = data["records"]
    assert (record["number"], record["status"], record["issue_date"]) == ("GB/T 1.1-2020", "current", "2020-03-31")
    assert record["sources"][0]["source"] == "openstd.detail"
    assert data["links"] == [] and data["refused"] == ""


def test_parse_human_output_with_url():
    url = "https://std.samr.gov.cn/search/stdPage?q=GB11120&tid="
    result = runner.invoke(cli.app, ["parse", "samr.search", str(PAGES / "pilotstd/stdgov_sample.html"), "--url", url])
    assert result.exit_code == 0, result.output
    assert "GB 11120-2011" in result.stdout and "涡轮机油" in result.stdout
    assert "链接 https://std.samr.gov.cn/gb/search/gbDetailed?id=71F772D7DE2AD3A7E05397BE0A0AB82A" in result.stdout


def test_parse_refusal_is_a_warning():
    result = runner.invoke(cli.app, ["parse", "ttbz.list", str(DECODED / "t-zs-0467_2023__00.html")])
    assert result.exit_code == 0
    assert "网站拒绝了请求：Knownsec CloudWAF" in result.stderr


def test_parse_errors_are_one_line(tmp_path):
    result = runner.invoke(cli.app, ["parse", "samr.nope", str(DECODED / "gb_t_1_1__09.html")])
    assert result.exit_code == 2 and result.stderr.startswith("错误：无法识别的来源 'samr.nope'")
    result = runner.invoke(cli.app, ["parse", "auto", str(tmp_path / "none.html")])
    assert result.exit_code == 1 and "错误：文件不存在" in result.stderr
    page = tmp_path / "page.html"
    page.write_bytes(b"<html><body>hello</body></html>")
    result = runner.invoke(cli.app, ["parse", "auto", str(page)])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("错误：page.html：这不是任何解析器认识的页面；"
                                     "请指明解析器，不要用 auto")
    result = runner.invoke(cli.app, ["parse", "openstd.list", str(DECODED / "gb_t_1_1__00.html")])
    assert result.exit_code == 1 and "重定向响应（301 Moved Permanently）" in result.stderr
    assert "Traceback" not in result.output
