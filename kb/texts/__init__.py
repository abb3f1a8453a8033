"""Full texts: policies, laws and standards, split into citable clauses.

Pure domain code (no Whoosh, no network):

    model.py            Document, stable ids, corpus/texts.jsonl load / write / merge
    readers.py          plain text, Markdown (laws format), HTML pages, PDF, DOCX → text, title, dates;
                        document_lines (every line, PDF pages kept) for kb check
    limits.py           size caps: regular files ≤ 64 MB, DOCX parts, PDF flate streams, text length
    segment.py          segment(doc) → ClauseTree; normalize_clause_ref(kind, ref) → path
    segment_law.py      编 / 分编 / 章 / 节 / 条 / 款 / 项
    segment_policy.py   一、 / (一) / 1. / (1) and 专栏N with —— items (GB/T 9704)
    segment_standard.py 前言, 引言, 1 范围 … 5.2.1.3, terms, 附录A / A.1, 注, 示例, 表, 图 (GB/T 1.1-2020)
    lookup.py           resolve_document, lookup_clause / lookup_citation, outline, terms,
                        iter_clause_docs (flat clause dicts for index/)
    ingest.py           ingest(files or directories) → IngestReport; document_from_bytes for crawlers
    shipped.py          the texts shipped in corpus/texts.jsonl (scripts/ship_texts.py)

Document ids: `law:标准化法@2017-11-04`, `policy:质量强国首善之区建设意见`,
`standard:GB/T 1.1-2020` (kind, short title or number, and the version date).

Clause paths (unique within a document; a repeated number gets `#2`):

    law       前文, 序言, 第一编, 第一章, 第二编第一章, 第一章第二节, 附则,
              第十条, 第十条之一, 第十条第二款, 第十条第二款第一项, 第四条第一项
    policy    前文, 八, 八(一), 八(一)1, 八(一)1(1), 八1, 专栏6, 专栏6/3
    standard  封面, 前言, 引言, 1, 3.1, 5.2.1.3, 附录A, A.1, 表1, 表A.1, 图1,
              5.2.2/示例1, 3.1/注, 参考文献, 索引
    any       段1, 段2 … when a text has no structure at all

Numbers in law and policy paths are canonical Chinese numerals (第10条 → 第十条);
`normalize_clause_ref` maps what users type (10, 第10条, 八、（一）, 专栏六, 第5.2条) to them.
"""
from kb.texts.clauses import Clause, ClauseTree
from kb.texts.ingest import IngestReport, document_from_bytes, ingest
from kb.texts.lookup import (document_outline, iter_clause_docs, lookup_citation, lookup_clause, outline,
                             resolve_document, split_citation, terms)
from kb.texts.model import Document, load_documents, load_texts, write_documents
from kb.texts.segment import normalize_clause_ref, segment

__all__ = ["Clause", "ClauseTree", "Document", "IngestReport", "document_from_bytes",
           "document_outline", "ingest", "iter_clause_docs", "load_documents", "load_texts",
           "lookup_citation", "lookup_clause", "normalize_clause_ref", "outline", "resolve_document",
           "segment", "split_citation", "terms", "write_documents"]
