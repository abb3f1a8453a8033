"""synthetic platforms on 127.0.0.1: every list and detail response in the exact shape of a
saved real page of ../shared/pages, filled with generated records, as deep as asked, with
the crawler's fault mix and a second day's changes. For `kb sync` tests and bench/sync.py.

    with SyntheticPlatforms(pages=3) as mirror:          # 3 list pages per platform list
        kb sync --base-url {mirror.base_url}             # day 1
        mirror.next_day()                                # new records, a withdrawal, a replacement …
        kb sync --base-url {mirror.base_url}             # day 2

Layout: one host directory per platform (`/<host>/<path>`, as `wget --mirror` saves a
site), which is what `kb sync --base-url` asks for. Each platform's real page is the template:

| platform | list (newest first) | detail |
|---|---|---|
| std.samr.gov.cn | gbQueryPage JSON (relaton-gb jbt_13368_2018.json) | gbDetailed (5dda8ba0…html) |
| openstd.samr.gov.cn | std_list_type (gb_t_1_1__01.html) | newGbInfo (gb_t_5606_1_2004__04.html) |
| hbba / dbba.sacinfo.org.cn | POST stdQueryList (jb_t_13368_2018__00.json) | stdDetail (jb_t_13368_2018__01.html) |
| jjg.spc.org.cn | search/page JSON (pilotstd jjg_api_search.json) | (none) |
| www.ttbz.org.cn | the real 403 firewall page (t-zs-0467_2023__00.html) | |

Lists are sorted by last change, newest first (a record withdrawn or replaced today comes
first, then the rest by issue date), the order an incremental sync relies on.

The second day (next_day) brings, on every platform but ttbz: three new records (the
first replaces an older one, which the platform now shows as 被代替), one withdrawal (废止)
and one 即将实施 → 现行. `expected_changes()` names them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from mirror import PAGES, Big, Gbk, Mirror, Page, Redirect, Slow, Status, Truncate

RELATON = PAGES / "relaton-gb"
DAY1 = dt.date(2026, 12, 1)
STATUS_WORDS = {"current": "现行", "upcoming": "即将实施", "withdrawn": "废止", "replaced": "被代替"}
LIST_SIZE = {"std.samr.gov.cn": 50, "openstd.samr.gov.cn": 10, "hbba.sacinfo.org.cn": 50,
             "dbba.sacinfo.org.cn": 50, "jjg.spc.org.cn": 20}
PLATFORMS = tuple(LIST_SIZE)


@dataclass
class SyntheticRecord:
    number: str
    title: str
    issue_date: str
    implementation_date: str
    status: str = "current"
    withdrawal_date: str = ""
    replaces: str = ""
    ccs: str = "A00"
    ics: str = "01.120"
    pid: str = ""  # the platform's id of its detail page
    changed_on: int = 0  # day of the last change (lists put the latest first)
    kind: str = ""  # openstd: 1 强制性 / 2 推荐性 / 3 指导性


@dataclass
class Platform:
    host: str
    records: list[SyntheticRecord] = field(default_factory=list)

    def ordered(self, kind: str = "") -> list[SyntheticRecord]:
        chosen = [r for r in self.records if not kind or r.kind == kind]
        return sorted(chosen, key=lambda r: (r.changed_on, r.issue_date, r.number), reverse=True)

    def by_pid(self, pid: str) -> SyntheticRecord | None:
        return next((r for r in self.records if r.pid.lower() == pid.lower()), None)


def _numbers(host: str, index: int, kind: str, year: int) -> str:
    if host == "std.samr.gov.cn":
        return f"GB/T {60000 + index}-{year}"
    if host == "openstd.samr.gov.cn":
        prefix = {"1": "GB", "2": "GB/T", "3": "GB/Z"}[kind]
        return f"{prefix} {70000 + index}-{year}"
    if host == "hbba.sacinfo.org.cn":
        return f"{('JB/T', 'HG/T', 'QB/T', 'YY/T')[index % 4]} {20000 + index}-{year}"
    if host == "dbba.sacinfo.org.cn":
        return f"DB{(11, 31, 33, 44, 51)[index % 5]}/T {3000 + index}-{year}"
    return f"{('JJG', 'JJF')[index % 2]} {5000 + index}-{year}"


def generate(host: str, count: int) -> Platform:
    """`count` records, newest first: issue dates spread over the 26 years before DAY1."""
    platform = Platform(host)
    for index in range(count):
        kind = "123"[index % 3] if host == "openstd.samr.gov.cn" else ""
        issued = DAY1 - dt.timedelta(days=1 + index * 9490 // max(count, 3000))
        number = _numbers(host, index, kind, issued.year)
        implemented = issued + dt.timedelta(days=180)
        status = "upcoming" if implemented > DAY1 else "current"
        platform.records.append(SyntheticRecord(
            number=number, title=f"合成标准 {host.split('.')[0]} 第{index}号 技术要求",
            issue_date=issued.isoformat(), implementation_date=implemented.isoformat(), status=status,
            ccs=f"{'ABCJKN'[index % 6]}{index % 90:02d}", ics=f"{11 + index % 80}.{(index % 9) * 10:03d}",
            pid=_pid(host, index), kind=kind))
    # one record became current on DAY1 but the platform still says 即将实施: day 2 fixes it
    stale = platform.records[min(60, count - 1)]
    stale.implementation_date, stale.status = DAY1.isoformat(), "upcoming"
    return platform


def _pid(host: str, index: int) -> str:
    """A platform id shaped like the real ones (32 hex digits)."""
    return hashlib.md5(f"{host} {index}".encode()).hexdigest().upper()


# -- rendering, from the real templates ------------------------------------------------------

def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


class Templates:
    """The real pages, cut where generated values go."""

    def __init__(self):
        self.samr_list_row = json.loads(_read(RELATON / "spec" / "examples" / "jbt_13368_2018.json"))["rows"][0]
        self.samr_detail = _read(RELATON / "spec" / "examples" / "5dda8ba00fc618dee05397be0a0a95a7.html")
        self.filing_list = json.loads(_read(RELATON / "decoded" / "jb_t_13368_2018__00.json"))
        self.filing_detail = _read(RELATON / "decoded" / "jb_t_13368_2018__01.html")
        self.jjg_list = json.loads(_read(PAGES / "pilotstd" / "jjg_api_search.json"))
        self.ttbz_refusal = (RELATON / "decoded" / "t-zs-0467_2023__00.html").read_bytes()
        page = _read(RELATON / "decoded" / "gb_t_1_1__01.html")
        body = page.index('<tbody style="border:1px solid #ddd;')
        first = page.index("<tr>", body)
        end = page.index("</tbody>", first)
        rows = page[first:end]
        self.openstd_head, self.openstd_tail = page[:first], page[end:]
        self.openstd_row = rows[: rows.index("</tr>") + len("</tr>")]
        self.openstd_detail = _read(RELATON / "decoded" / "gb_t_5606_1_2004__04.html")


def _status_span(status: str) -> str:
    css = {"current": "text-success", "upcoming": "text-info", "withdrawn": "text-danger",
           "replaced": "text-danger"}[status]
    return f'<span class="{css}" style="font-size:13px;">{STATUS_WORDS[status]}</span>'


def openstd_row(t: Templates, rec: SyntheticRecord, position: int) -> str:
    row = t.openstd_row.replace("847191101089628341120D62AEFC29A1", rec.pid)
    row = row.replace("GB/T 1.1-2000", html.escape(rec.number))
    row = row.replace("标准化工作导则  第1部分:标准的结构和编写规则", html.escape(rec.title))
    row = re.sub(r"<td>1</td>", f"<td>{position}</td>", row, count=1)
    row = re.sub(r'<span class="text-danger" style="font-size:13px;">废止</span>', _status_span(rec.status), row)
    return row.replace("2000-12-20", rec.issue_date).replace("2001-06-01", rec.implementation_date)


def openstd_list(t: Templates, records: list[SyntheticRecord], page: int, pages: int, start: int) -> bytes:
    rows = "\n".join(openstd_row(t, r, start + i + 1) for i, r in enumerate(records))
    head = re.sub(r'pages\s*:\s*"1"', f'pages : "{pages}"', t.openstd_head + t.openstd_tail)
    split = len(t.openstd_head)
    return (head[:split] + rows + head[split:]).encode("utf-8")


def openstd_detail(t: Templates, rec: SyntheticRecord) -> bytes:
    page = t.openstd_detail.replace("GB/T 5606.1-2004", html.escape(rec.number))
    page = page.replace("卷烟  第1部分:抽样", html.escape(rec.title)).replace("Cigarettes--Part 1:Sampling", "")
    page = page.replace("B32027E7AEF4CB6D1515A02985FC5B40", rec.pid)
    page = re.sub(r"(标准状态：\s*<span[^>]*>)\s*现行\s*", rf"\g<1>{STATUS_WORDS[rec.status]}", page, count=1)
    page = page.replace("2005-03-01实施,代替GB/T 5606.1-1996",
                        f"{rec.implementation_date}实施" + (f",代替{rec.replaces}" if rec.replaces else ""))
    page = page.replace("2004-12-14", rec.issue_date).replace("2005-03-01", rec.implementation_date)
    page = re.sub(r"(\s)65\.160(\s)", rf"\g<1>{rec.ics}\g<2>", page)
    return re.sub(r"(\s)X87(\s)", rf"\g<1>{rec.ccs}\g<2>", page).encode("utf-8")


def _basic_left(rec: SyntheticRecord, indent: str) -> str:
    pairs = [("标准号", rec.number), ("发布日期", rec.issue_date), ("实施日期", rec.implementation_date)]
    if rec.withdrawal_date:
        pairs.append(("废止日期", rec.withdrawal_date))
    if rec.replaces:
        pairs.append(("代替标准", rec.replaces))
    return "".join(f'\n{indent}<dt class="basicInfo-item name">{label}</dt>\n'
                   f'{indent}<dd class="basicInfo-item value">{html.escape(value)}</dd>' for label, value in pairs)


def samr_layout(page: str, rec: SyntheticRecord, title: str, english: str, status: str, ccs: str, ics: str) -> bytes:
    """A page of the std.samr detail layout (std.samr itself, hbba, dbba) for `rec`."""
    page = page.replace(f">{title}</h4>", f">{html.escape(rec.title)}</h4>")
    page = page.replace(f">{english}</h5>", "></h5>")
    page = re.sub(r'(<dl class="basicInfo-block basicInfo-left">).*?(\s*</dl>)',
                  lambda m: m.group(1) + _basic_left(rec, "\t\t\t\t\t\t") + m.group(2), page, count=1, flags=re.S)
    page = re.sub(r"(<span class=\"s-status label label-(?:danger|primary)\">)\s*" + status + r"\s*(</span>)",
                  rf"\g<1>{STATUS_WORDS[rec.status]}\g<2>", page, count=1)
    page = page.replace(f">{ccs}</dd>", f">{rec.ccs}</dd>")
    return page.replace(f" >{ics}</span>", f" >{rec.ics}</span>").replace(f">{ics}<", f">{rec.ics}<").encode("utf-8")


def samr_row(t: Templates, rec: SyntheticRecord) -> dict:
    row = dict(t.samr_list_row)
    word = STATUS_WORDS[rec.status]
    row.update({"STD_CODE": rec.number, "C_STD_CODE": rec.number, "C_C_NAME": rec.title, "C_NAME": rec.title,
                "STATE": word, "G_STATE": word, "ISSUE_DATE": rec.issue_date, "ACT_DATE": rec.implementation_date,
                "CCS": rec.ccs, "ICS": rec.ics, "TABLE_NAME": "BV_GB", "id": rec.pid, "RECORD_NO": "",
                "STD_DOMAIN": "国家标准", "STD_LEVEL": "国家标准", "CHARGE_DEPT": "国家质量监督检验检疫总局"})
    return row


def _epoch_ms(date: str) -> int:
    day = dt.date.fromisoformat(date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp() * 1000)


def filing_row(t: Templates, rec: SyntheticRecord) -> dict:
    row = dict(t.filing_list["records"][0])
    row.update({"code": rec.number, "chName": rec.title, "status": STATUS_WORDS[rec.status],
                "issueDate": _epoch_ms(rec.issue_date), "actDate": _epoch_ms(rec.implementation_date),
                "recordDate": _epoch_ms(rec.issue_date), "pk": rec.pid.lower(), "recordNo": ""})
    return row


def jjg_row(t: Templates, rec: SyntheticRecord) -> dict:
    row = dict(t.jjg_list["rows"][0])
    row.update({"id": int(rec.pid[-8:], 16), "code": rec.number, "title": rec.title, "status": STATUS_WORDS[rec.status],
                "publishDate": rec.issue_date, "implementDate": rec.implementation_date, "modiDate": rec.issue_date,
                "stdType": "校准规范" if rec.number.startswith("JJF") else "检定规程"})
    return row


# -- the server ----------------------------------------------------------------------------

class SyntheticPlatforms(Mirror):
    """The mirror: generated platforms answered from templates; faults as tests/mirror.py."""

    def __init__(self, pages: int = 3, port: int = 0, faults: bool = True, records: int | None = None):
        """`pages` list pages of each list (openstd has three lists), or `records` per platform."""
        super().__init__(port)
        self.templates = Templates()
        self.day = 1
        self.platforms = {host: generate(host, records or pages * size * (3 if host == "openstd.samr.gov.cn" else 1))
                          for host, size in LIST_SIZE.items()}
        self._changes: list[tuple[str, str]] = []
        if faults:
            self.inject_faults()

    # -- urls --------------------------------------------------------------------------

    def url(self, host: str, path: str) -> str:
        return f"{self.base_url}/{host}{path}"

    def detail_path(self, host: str, rec: SyntheticRecord) -> str:
        if host == "std.samr.gov.cn":
            return f"/{host}/gb/search/gbDetailed?id={rec.pid}"
        if host == "openstd.samr.gov.cn":
            return f"/{host}/bzgk/std/newGbInfo?hcno={rec.pid}"
        return f"/{host}/stdDetail/{rec.pid.lower()}"

    # -- faults ------------------------------------------------------------------------

    def inject_faults(self) -> None:
        """The crawler issue's fault mix, on the first day's lists and detail pages."""
        samr, openstd, hbba, dbba = (self.platforms[h] for h in PLATFORMS[:4])
        self.fault("/std.samr.gov.cn/gb/search/gbQueryPage?" + self._samr_query(2), Status(500))
        self.fault("/hbba.sacinfo.org.cn/stdQueryList", Status(429, {"Retry-After": "0"}))
        self.fault("/jjg.spc.org.cn/resmea/api/standard/search/page?keyword=&pageNum=2&pageSize=20", Slow(1.5))
        self.fault("/openstd.samr.gov.cn/bzgk/std/std_list_type?p.p1=2&p.p90=circulation_date&p.p91=desc",
                   Truncate(3000))
        self.always(self.detail_path("openstd.samr.gov.cn", openstd.records[4]), Gbk())
        self.always(self.detail_path("std.samr.gov.cn", samr.records[7]), Status(403, body=b"Forbidden"))
        self.always(self.detail_path("std.samr.gov.cn", samr.records[8]), Big(3 * 2**20))
        loop = self.detail_path("hbba.sacinfo.org.cn", hbba.records[5])
        self.always(loop, Redirect(loop))
        self.always(self.detail_path("dbba.sacinfo.org.cn", dbba.records[6]), Redirect("https://example.com/x"))

    def faulty_numbers(self) -> dict[str, list[str]]:
        """The records whose detail page fails for good (their list rows still arrive)."""
        return {"failed": [self.platforms["std.samr.gov.cn"].records[8].number,
                           self.platforms["hbba.sacinfo.org.cn"].records[5].number,
                           self.platforms["dbba.sacinfo.org.cn"].records[6].number],
                "refused": [self.platforms["std.samr.gov.cn"].records[7].number]}

    @staticmethod
    def _samr_query(page: int) -> str:
        return f"searchText=&sortOrder=desc&sortField=ISSUE_DATE&pageSize=50&pageNumber={page}"

    # -- the second day ------------------------------------------------------------------

    def next_day(self) -> list[tuple[str, str]]:
        """Apply the second day's changes; returns (number, change kind) of each."""
        self.day += 1
        today = (DAY1 + dt.timedelta(days=self.day - 1)).isoformat()
        for host, platform in self.platforms.items():
            records = platform.records
            replaced, withdrawn = records[len(records) // 2], records[len(records) // 3]
            stale = next(r for r in records if r.status == "upcoming" and r.implementation_date <= DAY1.isoformat())
            for index in range(3):
                new = replace(generate(host, 1).records[0], changed_on=self.day, issue_date=today,
                              implementation_date=today, status="current",
                              pid=_pid(host, 10**6 * self.day + index))
                prefix, _, rest = replaced.number.partition(" ")
                new.number = f"{prefix} {90000 + index + 10 * PLATFORMS.index(host)}-2026"
                new.title = f"合成标准 第二天 {host.split('.')[0]} 第{index}号"
                new.kind = replaced.kind
                if index == 0:
                    new.replaces = replaced.number
                records.append(new)
                self._changes.append((new.number, "new"))
            replaced.status, replaced.withdrawal_date, replaced.changed_on = "replaced", today, self.day
            withdrawn.status, withdrawn.withdrawal_date, withdrawn.changed_on = "withdrawn", today, self.day
            stale.status, stale.changed_on = "current", self.day
            self._changes += [(replaced.number, "replaced"), (withdrawn.number, "withdrawn"),
                              (stale.number, "status_changed")]
        self.faults.clear()
        return self._changes

    def expected_changes(self) -> list[tuple[str, str]]:
        return sorted(self._changes)

    # -- answering -----------------------------------------------------------------------

    def lookup(self, method: str, target: str, body: str) -> Page | None:
        parts = urlsplit(target)
        host, _, path = parts.path.lstrip("/").partition("/")
        path = "/" + path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        form = dict(parse_qsl(body, keep_blank_values=True))
        t = self.templates
        if host in ("www.ttbz.org.cn", "ttbz.org.cn"):
            return Page(403, t.ttbz_refusal, {"Content-Type": "text/html; charset=utf-8"})
        platform = self.platforms.get(host)
        if platform is None:
            return None
        if host == "std.samr.gov.cn" and path == "/gb/search/gbQueryPage":
            rows, total = self._page(platform.ordered(), int(query.get("pageNumber") or 1), 50)
            data = {"pageNumber": int(query.get("pageNumber") or 1), "total": total,
                    "rows": [samr_row(t, r) for r in rows]}
            return _json(data)
        if host == "std.samr.gov.cn" and path == "/gb/search/gbDetailed":
            rec = platform.by_pid(query.get("id", ""))
            return rec and _html(samr_layout(t.samr_detail, rec, "棉短绒", "Cotton linter", "废止", "B32", "59.060.10"))
        if host == "openstd.samr.gov.cn" and path == "/bzgk/std/std_list_type":
            page, kind = int(query.get("page") or 1), query.get("p.p1", "")
            ordered = platform.ordered(kind)
            rows, total = self._page(ordered, page, 10)
            pages = max(1, -(-total // 10))
            return _html(openstd_list(t, rows, page, pages, (page - 1) * 10))
        if host == "openstd.samr.gov.cn" and path == "/bzgk/std/newGbInfo":
            rec = platform.by_pid(query.get("hcno", ""))
            return rec and _html(openstd_detail(t, rec))
        if path == "/stdQueryList" and method == "POST":
            current, size = int(form.get("current") or 1), int(form.get("size") or 50)
            rows, total = self._page(platform.ordered(), current, size)
            data = {**{k: v for k, v in t.filing_list.items() if k != "records"},
                    "current": current, "size": size, "total": total, "pages": max(1, -(-total // size)),
                    "records": [filing_row(t, r) for r in rows]}
            return _json(data)
        if path.startswith("/stdDetail/"):
            rec = platform.by_pid(path.rsplit("/", 1)[1])
            return rec and _html(samr_layout(t.filing_detail, rec, "叉车属具 软包夹", "", "现行", "J83", "53.06"))
        if host == "jjg.spc.org.cn" and path == "/resmea/api/standard/search/page":
            page, size = int(query.get("pageNum") or 1), int(query.get("pageSize") or 20)
            rows, total = self._page(platform.ordered(), page, size)
            return _json({**{k: v for k, v in t.jjg_list.items() if k != "rows"}, "total": total,
                          "rows": [jjg_row(t, r) for r in rows]})
        return None

    @staticmethod
    def _page(records: list, page: int, size: int) -> tuple[list, int]:
        return records[(page - 1) * size: page * size], len(records)

    def list_requests(self) -> int:
        return sum(1 for _, target, _ in self.requests if _is_list(target))

    def detail_requests(self) -> list[str]:
        return [target for _, target, _ in self.requests if not _is_list(target) and "robots.txt" not in target]


def _is_list(target: str) -> bool:
    return any(p in target for p in ("gbQueryPage", "std_list_type", "stdQueryList", "search/page", "/Home/Standard"))


def _json(data: dict) -> Page:
    return Page(200, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                {"Content-Type": "application/json;charset=UTF-8"})


def _html(body: bytes) -> Page:
    return Page(200, body, {"Content-Type": "text/html;charset=UTF-8"})


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Serve synthetic platforms on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--pages", type=int, default=3, help="list pages per platform list")
    parser.add_argument("--no-faults", action="store_true")
    args = parser.parse_args()
    mirror = SyntheticPlatforms(args.pages, args.port, faults=not args.no_faults)
    print(f"synthetic platforms on {mirror.base_url} (Ctrl-C stops; send SIGUSR1 for the next day)")
    import signal

    signal.signal(signal.SIGUSR1, lambda *_: mirror.next_day())
    try:
        mirror.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
