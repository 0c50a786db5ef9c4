from __future__ import annotations

from youcheng.resolve.names import fold_key, pinyin_syllables, romanize, to_simplified


def test_fold_key_joins_scripts_and_case() -> None:
    assert fold_key("武漢") == fold_key("武汉") == "武汉"
    assert fold_key(" Wuhan ") == fold_key("WUHAN") == "wuhan"
    assert fold_key("克盧日-納波卡") == "克卢日纳波卡"


def test_to_simplified_leaves_latin_alone() -> None:
    assert to_simplified("Pittsburgh") == "Pittsburgh"
    assert to_simplified("烏蘭巴托") == "乌兰巴托"


def test_pinyin_overrides_polyphonic_place_names() -> None:
    assert pinyin_syllables("单县", tones=True) == ["shàn", "xiàn"]
    assert pinyin_syllables("六安", tones=False) == ["lu", "an"]
    assert pinyin_syllables("重庆市", tones=True) == ["chóng", "qìng", "shì"]


def test_romanize_capitalises() -> None:
    assert romanize("洛阳") == "Luoyang"


def test_fold_drops_exactly_what_str_isspace_calls_space() -> None:
    """The key's list of spaces (a translate table, for speed) is str.isspace()'s, no more, no less."""
    import sys

    from youcheng.resolve import names

    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(names._WHITESPACE) == spaces
    assert names.fold_key("Saint\u3000Pétersbourg-sur\u2009Mer") == "saintpétersbourgsurmer"
