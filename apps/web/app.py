"""`kb serve`: a local web app in Chinese over apps.service, and a JSON API under /api.

Pages are rendered on the server (Jinja2, autoescaped); snippets keep only the <em> the
highlighter adds. Every answer comes from apps.service.KnowledgeBase, so the API's JSON
is the CLI's --json. Request bodies are capped (BodyLimit) before anything reads them.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Callable

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from apps.service import MAX_QUERY_CHARS, MAX_TEXT_BYTES, KnowledgeBase
from kb.errors import BadInput, KbError, NotFound

HERE = Path(__file__).parent
MAX_BODY_BYTES = MAX_TEXT_BYTES + 64 * 1024  # a capped upload plus the multipart framing
DOWNLOAD_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


class JsonAnswer(JSONResponse):
    """The CLI's JSON: Chinese as is, anything unusual as its string."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse a request body over `limit` bytes with 413, by its
    Content-Length before reading, or as soon as a chunked body passes the limit."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._refuse(scope, send, int(declared) if declared.isdigit() else None)
        received, started = 0, False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, None)

    async def _refuse(self, scope, send, size):
        got = f"，收到 {size / (1024 * 1024):.0f} MB" if size else ""
        message = f"上传内容过大：最多 {MAX_TEXT_BYTES // (1024 * 1024)} MB{got} (request body too large)"
        if scope["path"].startswith("/api"):
            response = JsonAnswer({"error": message, "exit_code": 2}, status_code=413)
        else:
            response = HTMLResponse(f"<!doctype html><meta charset=utf-8><title>上传过大</title>"
                                    f"<p class=error>{escape(message)}</p><p><a href=/check>返回</a></p>",
                                    status_code=413)
        response.headers["Connection"] = "close"
        await response(scope, _drained, send)


async def _drained():
    return {"type": "http.disconnect"}


# -- rendering helpers ------------------------------------------------------------------

def snippet(text: str | None) -> Markup:
    """A highlighter snippet: everything escaped, then only its <em>…</em> restored."""
    safe = str(escape(text or ""))
    return Markup(safe.replace("&lt;em&gt;", "<em>").replace("&lt;/em&gt;", "</em>"))


def groups_in_order(rows: list[dict], key: str) -> list[tuple[str, list[dict]]]:
    """Rows grouped by `key`, the groups in the order they first appear (the library's order)."""
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row.get(key) or "", []).append(row)
    return list(grouped.items())


def http_status(exc: KbError) -> int:
    if isinstance(exc, BadInput):
        return 400
    if isinstance(exc, NotFound):
        return 404
    return 503 if exc.exit_code in (3, 4, 5) else 500


def error_text(exc: KbError) -> str:
    return str(exc) + (f"（{exc.hint}）" if exc.hint else "")


def api_error(exc: KbError) -> JsonAnswer:
    return JsonAnswer({"error": error_text(exc), "exit_code": exc.exit_code}, status_code=http_status(exc))


def failing(exc: KbError) -> Callable[[], None]:
    """An answer that is `exc`: for a page whose input failed before the answer could start."""
    def answer() -> None:
        raise exc
    return answer


def _param(request: Request, name: str, default: str | None = None) -> str | None:
    value = request.query_params.get(name)
    return default if value in (None, "") else value


def _number(value: str | None, name: str, kind=int, default=None):
    """A query parameter as an int (or float); `default` when absent; BadInput when not a number."""
    if value in (None, ""):
        return default
    try:
        return kind(value)
    except ValueError:
        raise BadInput(f"{name} 须为{'整数' if kind is int else '数字'}，收到 {value[:20]!r}") from None


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def create_app(kb: KnowledgeBase, allowed_hosts: list[str] | None = None) -> Starlette:
    """The app over `kb`. `allowed_hosts`: the Host names it answers (None: any); a server on
    loopback answers only its own names, so a web page elsewhere cannot reach it by DNS rebinding."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["snippet"] = snippet
    env.filters["groups"] = groups_in_order
    env.globals.update(max_query=MAX_QUERY_CHARS, max_upload_mb=MAX_TEXT_BYTES // (1024 * 1024))
    from kb import vocab

    env.globals.update(level_labels=vocab.LEVEL_LABELS, status_labels=vocab.STATUS_LABELS,
                       region_name=vocab.region_name)

    def page(request: Request, name: str, answer: Callable[[], dict], **context) -> Response:
        """The page `name` with `result` = answer(), or with its error message and status."""
        try:
            result, error, status = answer(), None, 200
        except KbError as exc:
            result, error, status = None, error_text(exc), http_status(exc)
        return templates.TemplateResponse(request, name, {"result": result, "error": error, **context},
                                          status_code=status)

    def api(answer: Callable[[], object], request: Request | None = None, allowed: str = "") -> Response:
        """answer() as JSON; a KbError, or a query parameter not in `allowed`, as {"error", "exit_code"}."""
        try:
            if request is not None:
                unknown = sorted(set(request.query_params) - set(allowed.split()))
                if unknown:
                    raise BadInput(f"未知参数 {', '.join(repr(u[:40]) for u in unknown[:5])}（可用：{', '.join(allowed.split()) or '无'}）")
            return JsonAnswer(answer())
        except KbError as exc:
            return api_error(exc)

    def nothing() -> None:
        return None

    def check(text: str, upload: tuple[str, bytes] | None, fail_on: str | None) -> dict:
        """The check of an uploaded file, else of the pasted text."""
        if upload is not None:
            return kb.check_document(upload[1], upload[0], fail_on=fail_on)
        if not text.strip():
            raise BadInput("请粘贴文本或选择文件")
        return kb.check_text(text, fail_on=fail_on)

    # -- pages ----------------------------------------------------------------------

    def search_page(request: Request):
        q = _param(request, "q")
        args = dict(level=_param(request, "level"), status=_param(request, "status"),
                    region=_param(request, "region"), year=_param(request, "year"))
        answer = (lambda: kb.search(q, limit=20, **{**args, "year": _number(args["year"], "year")})) if q else nothing
        return page(request, "search.html", answer, q=q or "", args=args)

    def clauses_page(request: Request):
        q = _param(request, "q")
        doc, kind = _param(request, "doc"), _param(request, "kind")
        answer = (lambda: kb.search_clauses(q, doc=doc, doc_kind=kind, limit=20)) if q else nothing
        return page(request, "clauses.html", answer, q=q or "", doc=doc or "", kind=kind or "",
                    documents=kb.documents())

    def standard_page(request: Request):
        number = _param(request, "number")
        return page(request, "standard.html", lambda: kb.get_standard(number), number=number or "")

    def clause_page(request: Request):
        doc, path = _param(request, "doc"), _param(request, "path")
        return page(request, "clause.html", lambda: kb.clause(doc, path), doc=doc or "", path=path or "")

    def outline_page(request: Request):
        doc = _param(request, "doc")
        return page(request, "outline.html", lambda: kb.outline(doc), doc=doc or "")

    def cover_page(request: Request):
        q, region = _param(request, "q"), _param(request, "region")
        withdrawn = _param(request, "include_withdrawn") == "1"
        answer = (lambda: kb.cover(q, region=region, include_withdrawn=withdrawn)) if q else nothing
        return page(request, "cover.html", answer, q=q or "", region=region or "", include_withdrawn=withdrawn)

    def gap_args(request: Request) -> dict:
        return dict(by=_param(request, "by", "ccs"), level=_param(request, "level"), region=_param(request, "region"),
                    max_age=_number(_param(request, "max_age"), "max_age", float, 5))

    def gaps_page(request: Request):
        from kb.reports import bar_chart, gap_sheets

        def answer():
            report = kb.gaps(**gap_args(request))
            view = report["views"][report["by"]]
            placed = [r for r in view["rows"] if r["code"]]
            return {"report": report, "sheets": gap_sheets(report)[:-1],
                    "chart": Markup(bar_chart(placed, lambda r: f"{r['code']} {r['name']}"))}
        return page(request, "gaps.html", answer, args={k: request.query_params.get(k, "") for k in
                                                        ("by", "level", "region", "max_age")},
                    query=request.url.query)

    def gaps_download(request: Request):
        from kb.reports import write_gap_reports

        fmt = _param(request, "format", "xlsx")
        if fmt not in DOWNLOAD_TYPES:
            return api_error(BadInput(f"format 须为 xlsx、csv 或 html，收到 {fmt[:20]!r}"))
        try:
            report = kb.gaps(**gap_args(request))
        except KbError as exc:
            return api_error(exc)
        with tempfile.TemporaryDirectory(prefix="kb-gaps-") as tmp:
            target = Path(tmp) / f"gaps.{fmt}"
            write_gap_reports(report, **{{"xlsx": "xlsx", "csv": "csv_file", "html": "html_file"}[fmt]: target})
            body = target.read_bytes()
        name = f"标准覆盖缺口-{report['by']}-{report['today']}.{fmt}"
        return Response(body, media_type=DOWNLOAD_TYPES[fmt],
                        headers={"Content-Disposition": f"attachment; filename=\"gaps-{report['by']}.{fmt}\"; "
                                                        f"filename*=UTF-8''{_quote(name)}"})

    def policy_page(request: Request):
        doc = _param(request, "doc")
        answer = (lambda: kb.policy_gaps(doc=doc)) if doc else nothing
        policies = [d for d in kb.documents() if d["kind"] == "policy"]
        return page(request, "policy.html", answer, doc=doc or "", policies=policies)

    async def check_page(request: Request):
        if request.method == "GET":
            return page(request, "check.html", nothing, text="")
        try:
            text, upload, fail_on = await _check_form(request)
        except BadInput as exc:
            return page(request, "check.html", failing(exc), text="")

        return await _in_thread(lambda: page(request, "check.html", lambda: check(text, upload, fail_on), text=text))

    def changes_page(request: Request):
        since = _param(request, "since", "365d")
        return page(request, "changes.html", lambda: {"changes": kb.changes(since=since)[-200:]}, since=since)

    def api_page(request: Request):
        return templates.TemplateResponse(request, "api.html", {"result": None, "error": None})

    # -- JSON API -------------------------------------------------------------------

    def api_search(request: Request):
        return api(lambda: kb.search(_param(request, "q"), level=_param(request, "level"),
                                     status=_param(request, "status"), region=_param(request, "region"),
                                     year=_number(_param(request, "year"), "year"),
                                     limit=_number(_param(request, "limit"), "limit") or 10),
                   request, "q level status region year limit")

    def api_clauses(request: Request):
        return api(lambda: kb.search_clauses(_param(request, "q"), doc=_param(request, "doc"),
                                             doc_kind=_param(request, "kind"),
                                             limit=_number(_param(request, "limit"), "limit") or 10),
                   request, "q doc kind limit")

    def api_standard(request: Request):
        return api(lambda: kb.get_standard(_param(request, "number")), request, "number")

    async def api_check(request: Request):
        text, upload, fail_on = _param(request, "text", ""), None, _param(request, "fail_on")
        if request.method == "POST":
            try:
                text, upload, fail_on = await _check_form(request)
            except BadInput as exc:
                return api_error(exc)

        return await _in_thread(lambda: api(lambda: check(text, upload, fail_on), request, "text fail_on"))

    def api_cover(request: Request):
        return api(lambda: kb.cover(_param(request, "q"), region=_param(request, "region"),
                                    include_withdrawn=_param(request, "include_withdrawn") in ("1", "true")),
                   request, "q region include_withdrawn")

    def api_gaps(request: Request):
        return api(lambda: kb.gaps(**gap_args(request)), request, "by level region max_age")

    def api_policy(request: Request):
        return api(lambda: kb.policy_gaps(doc=_param(request, "doc")), request, "doc")

    def api_clause(request: Request):
        return api(lambda: kb.clause(_param(request, "doc"), _param(request, "path")), request, "doc path")

    def api_outline(request: Request):
        return api(lambda: kb.outline(_param(request, "doc"), _number(_param(request, "depth"), "depth")),
                   request, "doc depth")

    def api_changes(request: Request):
        return api(lambda: kb.changes(since=_param(request, "since"), level=_param(request, "level"),
                                      status=_param(request, "status"), region=_param(request, "region"),
                                      kinds=request.query_params.getlist("kind")),
                   request, "since level status region kind")

    def api_documents(request: Request):
        return api(kb.documents, request, "")

    def api_health(request: Request):
        return api(lambda: {"ok": True, "generation": kb.generation()}, request, "")

    routes = [
        Route("/", search_page), Route("/clauses", clauses_page), Route("/standard", standard_page),
        Route("/clause", clause_page), Route("/outline", outline_page), Route("/cover", cover_page),
        Route("/gaps", gaps_page), Route("/gaps/download", gaps_download), Route("/policy-gaps", policy_page),
        Route("/check", check_page, methods=["GET", "POST"]), Route("/changes", changes_page),
        Route("/api", api_page), Route("/api/search", api_search), Route("/api/clauses", api_clauses),
        Route("/api/standard", api_standard), Route("/api/check", api_check, methods=["GET", "POST"]),
        Route("/api/cover", api_cover), Route("/api/gaps", api_gaps), Route("/api/policy-gaps", api_policy),
        Route("/api/clause", api_clause), Route("/api/outline", api_outline), Route("/api/changes", api_changes),
        Route("/api/documents", api_documents), Route("/api/health", api_health),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    async def not_found(request: Request, exc):
        if request.url.path.startswith("/api"):
            return JsonAnswer({"error": f"没有这个接口：{request.url.path[:100]}（见 /api）", "exit_code": 2},
                                status_code=exc.status_code)
        return templates.TemplateResponse(request, "base.html", {"result": None, "error": f"没有这个页面（{exc.status_code}）"},
                                          status_code=exc.status_code)

    async def crashed(request: Request, exc: Exception):
        message = f"内部错误：{type(exc).__name__}"
        if request.url.path.startswith("/api"):
            return JsonAnswer({"error": message, "exit_code": 1}, status_code=500)
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><p>{escape(message)}</p>", status_code=500)

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, Exception: crashed})
    if allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(BodyLimit)  # outermost: a body over the cap is refused before anything else
    return app


async def _check_form(request: Request) -> tuple[str, tuple[str, bytes] | None, str | None]:
    """The pasted text, the uploaded file (name, bytes) and fail_on of a check form (multipart or urlencoded)."""
    from starlette.exceptions import HTTPException

    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_BODY_BYTES)
    except HTTPException as exc:  # a malformed multipart body, too many fields or files
        raise BadInput(f"无法读取提交的表单：{exc.detail}") from None
    text = form.get("text") or ""
    upload = form.get("file")
    fail_on = form.get("fail_on") or None
    if upload is not None and hasattr(upload, "read"):
        body = await upload.read()
        upload = (upload.filename or "upload.txt", body) if body else None
    else:
        upload = None
    return (text if isinstance(text, str) else ""), upload, (fail_on if isinstance(fail_on, str) else None)


async def _in_thread(fn):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def serve(index_dir: Path, corpus_dir: Path, host: str = "127.0.0.1", port: int = 8000,
          announce: Callable[[str], None] = print, log_level: str = "warning") -> None:
    """Open the index (building it on first use), bind, and serve with uvicorn until interrupted."""
    import socket

    import uvicorn

    kb = KnowledgeBase(index_dir, corpus_dir)
    kb.generation()  # open (or build) the index now: a broken one fails here, not on the first request
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog from the moment the address is announced
    except OSError as exc:
        raise BadInput(f"无法在 {host}:{port} 上监听：{exc.strerror or exc}") from None
    loopback = host in LOOPBACK_NAMES or host.startswith("127.")
    config = uvicorn.Config(create_app(kb, LOOPBACK_NAMES + [host] if loopback else None), log_level=log_level,
                            h11_max_incomplete_event_size=2 * 1024 * 1024,  # a long query reaches the app's clear refusal
                            limit_concurrency=64, timeout_keep_alive=5)
    announce(f"http://{'[' + host + ']' if ':' in host else host}:{sock.getsockname()[1]}/")
    uvicorn.Server(config).run(sockets=[sock])
