"""The one Markdown escaper (wufei_geo.mdtext): user text shows as typed, never as formatting."""
from __future__ import annotations

import re

import pytest

from wufei_geo.mdtext import MD_SPECIAL, md_literal


def _unescape(text: str) -> str:
    # what a Markdown renderer shows for backslash escapes of punctuation
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize(
    "text",
    [
        "**bold** _it_ `code`",
        "[link](https://example.com) ![img](x.png)",
        "<script>alert(1)</script>",
        ":red[alarm] $x^2$",
        "# heading\n- item\n1. one | a | b |",
        "C:\\path\\to\\file ~~strike~~ {x} +1 !",
        "赵巷镇 E.12-1 · 5 吨/日",
    ],
)
def test_every_special_character_is_escaped_and_the_text_reads_the_same(text: str) -> None:
    out = md_literal(text)
    assert _unescape(out) == text
    # no special character is left unescaped
    unescaped = re.sub(r"\\.", "", out)
    assert not set(unescaped) & MD_SPECIAL, out


def test_plain_text_and_non_strings() -> None:
    assert md_literal("赵巷镇 5 吨") == "赵巷镇 5 吨"
    assert md_literal(12.5) == "12\\.5"
    assert md_literal(None) == "None"
