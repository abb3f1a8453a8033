"""Where things live: the shipped corpus, the user's data directory and the index.

- corpus:  $KB_CORPUS, else the shipped `corpus/` package directory (the repo's
           corpus/ in an editable install, site-packages/corpus in a wheel).
- home:    $KB_HOME, else the per-user data directory (platformdirs).
- index:   --index DIR, else <home>/index.
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

import corpus as _shipped_corpus
from kb.errors import BadInput

APP_NAME = "stdkb"


def shipped_corpus_dir() -> Path:
    return Path(_shipped_corpus.__file__).resolve().parent


def corpus_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("KB_CORPUS")
    return Path(env).expanduser() if env else shipped_corpus_dir()


def home_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("KB_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP_NAME))


def index_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    return home_dir() / "index"


def is_file(path: str | os.PathLike) -> bool:
    """Path.is_file() that says False, not OSError, for a name too long to be a path."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: str | os.PathLike) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False


def usable_dir(path: Path, option: str) -> Path:
    """`path` unless it, or the folder it would be made in, is a file: then one clear error."""
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                raise BadInput(f"{option} {path}：{folder} 是文件，不是目录",
                               hint=f"{option} 应指向一个目录（不存在时会自动创建）")
            break
    return path
