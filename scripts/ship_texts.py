"""Regenerate corpus/texts.jsonl from ../shared: the Beijing quality policy and the national
quality-infrastructure laws (see kb/texts/shipped.py for the list and the provenance kept).

    .venv/bin/python scripts/ship_texts.py           # rewrite corpus/texts.jsonl
    .venv/bin/python scripts/ship_texts.py --check   # exit 1 if it is out of date
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.texts.model import TEXTS_FILE  # noqa: E402
from kb.texts.shipped import SHARED, write_shipped  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared/ folder")
    args = parser.parse_args()
    target = ROOT / "corpus" / TEXTS_FILE
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = write_shipped(Path(tmp), args.shared).read_bytes()
        same = target.exists() and target.read_bytes() == fresh
        print(f"{target}: {'up to date' if same else 'OUT OF DATE, run scripts/ship_texts.py'}")
        return 0 if same else 1
    path = write_shipped(ROOT / "corpus", args.shared)
    print(f"wrote {path} ({sum(1 for _ in path.open(encoding='utf-8'))} texts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
