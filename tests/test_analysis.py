"""The jieba tokenizer: word-order positions, character offsets, sub-words, kept digits."""
from __future__ import annotations

from index.analysis import analyze, chinese_analyzer


def tokens(text, mode="index"):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in chinese_analyzer()(text, positions=True, chars=True, mode=mode)]


def test_positions_follow_word_order_and_subwords_share_a_position():
    assert tokens("电线电缆检测方法") == [
        ("电线电缆", 0, 0, 4), ("电线", 0, 0, 2), ("电缆", 0, 2, 4),
        ("检测方法", 1, 4, 8), ("检测", 1, 4, 6), ("方法", 1, 6, 8),
    ]


def test_query_mode_has_no_subwords():
    assert tokens("电线电缆检测方法", mode="query") == [("电线电缆", 0, 0, 4), ("检测方法", 1, 4, 8)]


def test_one_character_latin_and_digit_tokens_are_kept():
    assert tokens("GB/T 1.1", mode="query") == [("gb", 0, 0, 2), ("t", 1, 3, 4), ("1", 2, 5, 6), ("1", 3, 7, 8)]


def test_stop_words_leave_no_gap():
    # 的 is dropped and 检测 follows 电缆 directly, so the phrase 电缆 检测 still matches.
    assert [(t, p) for t, p, *_ in tokens("电缆的检测", mode="query")] == [("电缆", 0), ("检测", 1)]


def test_domain_dictionary_keeps_terms_whole():
    assert analyze("计量器具检定") == ["计量器具", "检定"]
    assert analyze("检验检测机构") == ["检验检测机构"]
    assert analyze("地理标志产品 佳木斯大米") == ["地理标志产品", "佳木斯", "大米"]
