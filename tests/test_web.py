"""`kb serve` as users meet it: uvicorn on 127.0.0.1 driven by a real headless Chromium
(Debian's chromium + chromium-driver, through selenium), and hostile clients over raw HTTP.

One server and one browser for the module. The corpus is the shipped one plus one
synthetic record whose title carries a script tag (synthetic_hostile_record), built into
a temporary index. Screenshots go to $KB_SCREENSHOTS (default: a temp dir) so they can
be looked at.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import ROOT, kb_command

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (README: make test installs them)")

HOSTILE_NUMBER = "DB11/T 9901-2026"
HOSTILE_TITLE = '<script>window.pwned=1</script>水稻<img src=x onerror="window.pwned=2">种植规程'
NOTDEF = "\u0378\u0379"  # unassigned code points: every font draws them as its missing-glyph box


def synthetic_hostile_record():
    from kb.records import Record

    return Record.for_number(HOSTILE_NUMBER, title=HOSTILE_TITLE, status="current", issue_date="2026-01-05",
                             scope="规定了水稻种植的<b>技术</b>要求 & 检验方法。")


def add_records(corpus: Path, records) -> None:
    from kb.corpus import load_records, write_records

    path = corpus / "standards.jsonl"
    existing = dict(load_records(path).records)
    existing.update({r.id: r for r in records})
    write_records(path, existing.values())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(base URL, corpus dir, env) of a `kb serve --port 0` over the shipped corpus + the hostile record."""
    tmp = tmp_path_factory.mktemp("web")
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    add_records(corpus, [synthetic_hostile_record()])
    env = {**os.environ, "KB_HOME": str(tmp / "home"), "KB_CORPUS": str(corpus)}
    server = subprocess.Popen([*kb_command(), "serve", "--port", "0", "--json"], env=env, cwd=tmp,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line:
        server.kill()
        pytest.fail(f"kb serve did not start: {server.stderr.read()}")
    url = json.loads(line)["url"].rstrip("/")
    yield url, corpus, env
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


def start_browser(profile: Path, downloads: Path | None = None, env: dict | None = None):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=zh-CN", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if downloads is not None:
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                  "download.prompt_for_download": False,
                                                  "safebrowsing.enabled": False})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, env=env))
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    driver = start_browser(tmp_path_factory.mktemp("profile"), downloads)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("KB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def library(site):
    """The same answers straight from the library, to compare the pages with."""
    from apps.service import KnowledgeBase

    _url, corpus, env = site
    return KnowledgeBase(Path(env["KB_HOME"]) / "index", corpus)


def by_id(driver, name):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, name)


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def navigate(driver, action) -> None:
    """Run `action` (a click or submit that loads a page) and wait until the new page has
    replaced the old one, so the assertions after it never read the page being left."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("css selector", "html")
    action()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def missing_glyphs(driver, text: str) -> bool:
    """True when the page's font draws `text` as missing-glyph boxes: its pixels on a canvas,
    in the body's font, equal those of unassigned code points, or its characters all look alike."""
    return driver.execute_script("""
        const font = '32px ' + getComputedStyle(document.body).fontFamily;
        function pixels(s) {
            const c = document.createElement('canvas'); c.width = 80; c.height = 48;
            const g = c.getContext('2d'); g.font = font; g.fillStyle = '#000'; g.fillText(s, 4, 38);
            return Array.from(g.getImageData(0, 0, 80, 48).data).join(',');
        }
        const chars = Array.from(arguments[0]).slice(0, 4);
        const notdef = pixels(arguments[1].charAt(0));
        const drawn = chars.map(pixels);
        return drawn.every(p => p === notdef) || drawn.every(p => p === drawn[0]);
    """, text, NOTDEF)


def shoot(driver, shots: Path, name: str) -> Path:
    heading = css(driver, "h1")[0].text
    assert heading and not missing_glyphs(driver, heading), f"{name}: Chinese glyphs are missing"
    path = shots / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


# -- the five user tasks ---------------------------------------------------------------------

def test_search_with_facets_and_snippets(site, browser, shots, library):
    from selenium.webdriver.support.ui import Select

    url, _, _ = site
    browser.get(url + "/")
    box = css(browser, "input[name=q]")[0]
    box.send_keys("水稻")
    Select(css(browser, "select[name=level]")[0]).select_by_visible_text("地方标准")
    navigate(browser, box.submit)
    expected = library.search("水稻", level="local", limit=20)
    assert f"共 {expected['total']} 条结果" in by_id(browser, "summary").text
    numbers = [a.text for a in css(browser, "#hits .hit-head a")]
    assert numbers == [h["number"] for h in expected["hits"]]
    assert css(browser, "#hits em")[0].text == "水稻"  # the highlighter's marks, rendered
    facets = {a.text for a in css(browser, ".facets a")}
    assert {"地方标准", "黑龙江"} <= facets
    shoot(browser, shots, "search")
    region = [a for a in css(browser, ".facets a") if a.text == "黑龙江"][0]
    navigate(browser, region.click)  # a facet narrows the search
    narrowed = library.search("水稻", level="local", region="23", limit=20)
    assert f"共 {narrowed['total']} 条结果" in by_id(browser, "summary").text


def test_open_a_record_with_its_replacement_chain(site, browser, shots):
    url, _, _ = site
    browser.get(url + "/?q=" + urllib.parse.quote("db23t2419-2019"))
    navigate(browser, css(browser, "#hits .hit-head a")[0].click)
    assert by_id(browser, "record-number").text == "DB23/T 2419-2019"
    fields = by_id(browser, "fields").text
    assert "状态（截至今日）" in fields and "被代替" in fields and "黑龙江" in fields
    later = css(browser, "#chain ol")[1]
    assert "DB23/T 2419-2026" in later.text
    navigate(browser, later.find_element("css selector", "a").click)
    assert by_id(browser, "record-number").text == "DB23/T 2419-2026"
    assert by_id(browser, "record-title").text == "地理标志产品 佳木斯大米"
    assert "DB23/T 2419-2019" in css(browser, "#chain ol")[0].text  # and back
    assert "std.sacinfo.org.cn" in css(browser, ".sources")[0].text
    shoot(browser, shots, "record")


def test_cover(site, browser, shots, library):
    url, _, _ = site
    browser.get(url + "/cover")
    box = css(browser, "input[name=q]")[0]
    box.send_keys("水稻")
    navigate(browser, box.submit)
    expected = library.cover("水稻")
    assert f"共 {expected['counts']['standards']} 条标准" in by_id(browser, "summary").text
    listed = [a.text for a in css(browser, "table.cover td:first-child a")]
    assert sorted(listed) == sorted(s["number"] for s in expected["standards"])
    assert "标题含“水稻”" in browser.page_source
    shoot(browser, shots, "cover")


def test_gap_dashboard_and_its_xlsx(site, browser, shots, downloads, library):
    import openpyxl

    url, _, _ = site
    browser.get(url + "/gaps")
    report = library.gaps()
    assert css(browser, "#chart svg rect.bar"), "the dashboard has its bar chart"
    assert f"{report['total']}" in by_id(browser, "cards").text
    shoot(browser, shots, "gaps")
    by_id(browser, "download-xlsx").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in downloads.glob("*.xlsx")]
        if done and not list(downloads.glob("*.crdownload")):
            break
        time.sleep(0.2)
    assert done, "the XLSX download did not arrive"
    book = openpyxl.load_workbook(done[0], read_only=True)
    assert book.sheetnames[0] == report["views"]["ccs"]["title"]
    first = book[book.sheetnames[0]]
    header = [c.value for c in next(first.iter_rows(max_row=1))]
    assert header[:3] == ["CCS分类号", "类目", "标准数"]
    assert first.max_row == len(report["rows"]) + 1


def test_check_pasted_text(site, browser, shots):
    url, _, _ = site
    browser.get(url + "/check")
    by_id(browser, "check-text").send_keys("产品应符合 ＤＢ２３／Ｔ　２４１９—２０１９ 的规定。\n检验按 GB/T 99999-2020 进行。")
    navigate(browser, by_id(browser, "check-submit").click)
    rows = [[td.text for td in tr.find_elements("css selector", "td")] for tr in css(browser, "#citations tbody tr")]
    assert rows[0][2] == "DB23/T 2419-2019" and rows[0][3] == "被代替" and rows[0][5] == "DB23/T 2419-2026"
    assert rows[1][2] == "GB/T 99999-2020" and rows[1][3] == "未收录"
    assert "检查未通过" in by_id(browser, "summary").text
    shoot(browser, shots, "check")


def test_the_glyph_check_fails_without_a_cjk_font(site, tmp_path):
    """The check behind every screenshot: with fontconfig limited to DejaVu (no CJK font),
    the same page's Chinese is drawn as boxes, and missing_glyphs says so."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        pytest.skip("needs fonts-dejavu-core for a font set without CJK")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?><fontconfig><dir>{dejavu}</dir>"
                    f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    driver = start_browser(tmp_path / "profile", env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    try:
        driver.get(site[0] + "/")
        assert missing_glyphs(driver, css(driver, "h1")[0].text)
        assert not missing_glyphs(driver, "Search")  # Latin text still has its glyphs
    finally:
        driver.quit()


# -- hostile input: escaped or refused, and the server goes on ------------------------------

def request(url: str, method: str = "GET", path: str = "/", body: bytes | None = None, headers: dict | None = None):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(method, urllib.parse.quote(path, safe="/?&=%+"), body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("content-type") or "", data.decode("utf-8", "replace")


def test_script_tags_are_escaped_in_queries_and_titles(site, browser):
    url, _, _ = site
    status, _, page = request(url, path="/?q=" + urllib.parse.quote("<script>window.pwned=3</script>水稻"))
    assert status == 200 and "<script>window.pwned" not in page
    assert "&lt;script&gt;window.pwned=3&lt;/script&gt;水稻" in page  # echoed in the box, escaped
    browser.get(url + "/?q=" + urllib.parse.quote("水稻种植规程"))
    hit = [h for h in css(browser, "#hits .hit") if HOSTILE_NUMBER in h.text][0]
    assert "<script>window.pwned=1</script>水稻" in hit.text  # the imported title, shown as text
    assert browser.execute_script("return window.pwned") is None  # and never run
    assert not css(browser, "#hits img")
    assert css(browser, "#hits .snippet em") or css(browser, "#hits em")
    browser.get(url + "/standard?number=" + urllib.parse.quote(HOSTILE_NUMBER))
    assert by_id(browser, "record-title").text == HOSTILE_TITLE
    assert "<b>技术</b>" in by_id(browser, "fields").text
    assert browser.execute_script("return window.pwned") is None


def test_a_100k_character_query_is_refused_in_one_line(site):
    url, _, _ = site
    long = urllib.parse.quote("水" * 100_000)
    status, kind, body = request(url, path="/api/search?q=" + long)
    assert status == 400 and "json" in kind
    answer = json.loads(body)
    assert answer["exit_code"] == 2 and "过长" in answer["error"] and "\n" not in answer["error"]
    status, _, page = request(url, path="/?q=" + long)
    assert status == 400 and "检索词 过长：最多 500 个字符，收到 100000 个" in page
    status, _, body = request(url, path="/api/cover?q=" + long)
    assert status == 400 and "过长" in json.loads(body)["error"]


def test_a_1gb_upload_is_refused_before_it_is_read(site):
    url, _, _ = site
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(b"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                     b"Content-Length: 1073741824\r\n\r\n" + b"x" * 65536)
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert "上传内容过大：最多 5 MB，收到 1024 MB" in json.loads(body)["error"]


def test_a_chunked_upload_past_the_cap_is_cut_off(site):
    url, _, _ = site
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(b"POST /check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"text=" + b"GB/T 1.1-2020 " * 4096
        reply = b""
        try:
            for _ in range(200):  # up to ~11 MB, past the 5 MB cap
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        conn.settimeout(10)
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                reply += data
        except (ConnectionResetError, socket.timeout):
            pass
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert "上传内容过大" in reply.decode("utf-8", "replace")


def test_an_upload_under_the_cap_is_checked(site):
    url, _, _ = site
    body = ("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"要求.md\"\r\n"
            "Content-Type: text/markdown\r\n\r\n# 技术要求\n\n按 YS/T 43-2011 执行。\r\n--b--\r\n").encode()
    status, _, answer = request(url, "POST", "/api/check", body,
                                {"Content-Type": "multipart/form-data; boundary=b"})
    report = json.loads(answer)
    assert status == 200 and report["files"] == ["要求.md"]
    assert [(c["number"], c["status"], c["latest"]) for c in report["citations"]] == [("YS/T 43-2011", "replaced", "YS/T 43-2026")]


def test_unknown_routes_and_bad_arguments_get_one_clear_message(site):
    url, _, _ = site
    status, _, body = request(url, path="/api/nothing-here")
    assert status == 404 and json.loads(body)["error"].startswith("没有这个接口")
    status, _, body = request(url, path="/api/search?q=水稻&level=planetary")
    assert status == 400 and json.loads(body)["error"] == "无法识别的层级 'planetary'：可用 national, industry, local, group, enterprise, metrology"
    status, _, body = request(url, path="/api/standard?number=GB%2099999-2099")
    assert status == 404 and "知识库中没有" in json.loads(body)["error"]
    status, _, body = request(url, path="/api/search?q=水稻&bogus=<b>1</b>")
    assert status == 400 and json.loads(body)["error"] == ("未知参数 'bogus'（可用：q, level, status, region, year, limit）")
    status, _, body = request(url, path="/api/gaps/../../etc/passwd")
    assert status == 404
    status, _, body = request(url, path="/api/health", headers={"Host": "attacker.example"})
    assert status == 400  # a loopback server answers only its own names (no DNS rebinding)
    status, _, body = request(url, path="/api/health")
    assert status == 200 and json.loads(body)["ok"] is True  # still serving after all of the above


def test_the_api_mirrors_the_cli_json(site):
    url, corpus, env = site
    status, _, body = request(url, path="/api/search?q=" + urllib.parse.quote("水稻") + "&level=local&limit=3")
    cli = subprocess.run([*kb_command(), "search", "水稻", "--level", "local", "--limit", "3", "--json"],
                         env=env, capture_output=True, text=True, check=True)
    assert status == 200 and json.loads(body) == json.loads(cli.stdout)
    status, _, page = request(url, path="/api")
    assert status == 200 and "/api/search" in page and "kb search --json" in page


def test_a_rebuild_is_served_without_a_restart(site):
    from kb.records import Record

    url, corpus, env = site
    before = json.loads(request(url, path="/api/health")[2])["generation"]
    add_records(corpus, [Record.for_number("DB11/T 9902-2026", title="合成测试用磁悬浮列车检修规程", status="current")])
    subprocess.run([*kb_command(), "index", "update", "--json"], env=env, capture_output=True, check=True)
    status, _, body = request(url, path="/api/search?q=" + urllib.parse.quote("磁悬浮列车"))
    assert status == 200 and [h["number"] for h in json.loads(body)["hits"]] == ["DB11/T 9902-2026"]
    assert json.loads(request(url, path="/api/health")[2])["generation"] != before


def test_clause_search_outline_and_policy_pages(site, library):
    import re

    url, _, _ = site
    status, _, page = request(url, path="/clauses?q=计量器具")
    expected = library.search_clauses("计量器具", limit=20)
    assert status == 200 and f"共 <b>{expected['total']}</b> 个条款" in page
    first = re.search(r'<a href="(/clause\?[^"]+)">', page).group(1).replace("&amp;", "&")
    status, _, clause = request(url, path=first)
    hit = expected["hits"][0]
    assert status == 200 and f"{hit['path']}" in clause and hit["doc_title"] in clause
    status, _, outline = request(url, path="/outline?doc=计量法")
    assert status == 200 and "第一章" in outline and "/clause?doc=law" in outline
    status, _, policy = request(url, path="/policy-gaps?doc=质量强国首善之区建设意见")
    counts = library.policy_gaps(doc="质量强国首善之区建设意见")["counts"]
    assert status == 200 and f"缺口 <b>{counts['gaps']}</b> 个" in policy
    assert policy.count('class="area gap"') >= counts["gaps"]


def test_check_an_uploaded_file_and_the_policy_page(site, browser, shots, tmp_path):
    url, _, _ = site
    document = tmp_path / "synthetic_技术要求.md"
    document.write_text("# 技术要求\n\n1 范围\n\n检验按 YS/T 43-2011 执行。\n", encoding="utf-8")
    browser.get(url + "/check")
    by_id(browser, "check-file").send_keys(str(document))
    navigate(browser, by_id(browser, "check-submit").click)
    rows = [[td.text for td in tr.find_elements("css selector", "td")] for tr in css(browser, "#citations tbody tr")]
    assert [(r[0], r[2], r[3], r[5]) for r in rows] == [("5", "YS/T 43-2011", "被代替", "YS/T 43-2026")]
    browser.get(url + "/policy-gaps?doc=" + urllib.parse.quote("质量强国首善之区建设意见"))
    assert "缺口" in by_id(browser, "summary").text and css(browser, "#policy-clauses tbody tr")
    shoot(browser, shots, "policy-gaps")


def synthetic_standard_text() -> bytes:
    """A standard's text laid out like a real one's cover and clauses (GB/T 1.1 structure)."""
    return ("ICS 67.060\nB 22\nDB23\n黑龙江省地方标准\nDB23/T 2419—2026\n代替 DB23/T 2419—2019\n"
            "地理标志产品 佳木斯大米\n\n1 范围\n本文件规定了地理标志产品佳木斯大米的保护范围、要求和检验方法。\n"
            "2 规范性引用文件\n下列文件中的内容通过文中的规范性引用而构成本文件必不可少的条款。\nGB/T 1354 大米\n"
            "3 术语和定义\n3.1\n佳木斯大米 Jiamusi rice\n在保护范围内种植的水稻加工而成的大米。\n"
            "4 要求\n4.1 品种\n选用适宜当地种植的优质粳稻品种。\n").encode("utf-8")


def test_a_standard_page_lists_the_clauses_of_its_stored_text(site):
    from kb.texts.ingest import document_from_bytes, store_documents

    url, corpus, _ = site
    document = document_from_bytes(synthetic_standard_text(), "synthetic_DB23T2419-2026.txt", kind="standard")
    store_documents([document], corpus)
    status, _, page = request(url, path="/standard?number=" + urllib.parse.quote("db23/t 2419-2026"))
    assert status == 200 and "知识库未收录这项标准的全文" not in page
    assert ">4.1</a> 品种" in page and "/clause?doc=standard" in page
    answer = json.loads(request(url, path="/api/standard?number=DB23/T%202419-2026")[2])
    assert [c["path"] for c in answer["text"]["outline"]] == ["封面", "1", "2", "3", "4"]


def test_a_malformed_upload_gets_one_clear_message(site):
    url, _, _ = site
    nameless = b"--b\r\nContent-Type: text/plain\r\n\r\nGB/T 1.1-2020\r\n--b--\r\n"
    status, _, answer = request(url, "POST", "/api/check", nameless, {"Content-Type": "multipart/form-data; boundary=b"})
    assert status == 400 and json.loads(answer)["error"] == (
        '无法读取提交的表单：The Content-Disposition header field "name" must be provided.')
    status, _, page = request(url, "POST", "/check", b"xx", {"Content-Type": "multipart/form-data"})
    assert status == 400 and "出错：无法读取提交的表单：Missing boundary in multipart." in page
    status, _, answer = request(url, "POST", "/api/check", b"text=", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and json.loads(answer)["error"] == "请粘贴文本或选择文件"
