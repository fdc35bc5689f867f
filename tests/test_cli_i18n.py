"""The command line for people: plain help with an example per command and every option
explained; towns by name or code; refusals in the user's language; a header on users list;
the one-page PDF briefing."""
from __future__ import annotations

import argparse
import io

import pytest

from wufei_geo import cli, commands
from wufei_geo.store import Store

PASSWORD = "correct horse battery"


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    out = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        out.append((path, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}".strip())

    walk(cli.build_parser(), "")
    return out


def test_help_is_plain_text_with_an_example_and_every_option_explained():
    for path, parser in _parsers():
        text = parser.format_help()
        assert "``" not in text and ":func:" not in text and ":mod:" not in text, path
        assert parser.epilog and "wufei-geo" in parser.epilog, f"no example for {path!r}"
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help, f"{path}: {action.option_strings or action.dest} has no help"


@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    Store.open(url).close()
    yield url
    commands.set_lang(None)


def _run(monkeypatch, capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_town_by_name_and_a_clear_refusal_listing_the_towns(db, monkeypatch, capsys):
    code, out, err = _run(monkeypatch, capsys, "users", "add", "xj", "--role", "town_official", "--town", "徐泾镇",
                          "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    code, out, err = _run(monkeypatch, capsys, "users", "add", "xj2", "--role", "town_official", "--town",
                          "Xujing", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    code, out, err = _run(monkeypatch, capsys, "users", "add", "bad", "--role", "town_official", "--town",
                          "徐泾县", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1
    assert err.startswith("错误：") or err.startswith("错误:"), err
    assert "未知街镇" in err and "310118106 徐泾镇" in err and "310118001 夏阳街道" in err
    code, out, err = _run(monkeypatch, capsys, "--lang", "en", "users", "add", "bad", "--role", "town_official",
                          "--town", "Nowhere", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1 and "Unknown town 'Nowhere'" in err and "310118106 Xujing Town" in err and "未知" not in err


def test_english_locale_gives_english_errors(db, monkeypatch, capsys):
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    code, out, err = _run(monkeypatch, capsys, "users", "disable", "nobody")
    assert code == 1 and err.startswith("error: No user 'nobody'"), err


def test_users_list_has_a_header(db, monkeypatch, capsys):
    _run(monkeypatch, capsys, "users", "add", "xj", "--role", "town_official", "--town", "310118106",
         "--password-stdin", stdin=PASSWORD + "\n")
    code, out, err = _run(monkeypatch, capsys, "users", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split("\t") == ["用户名", "角色", "街镇", "状态"]
    assert lines[1].split("\t") == ["xj", "街镇人员", "310118106 徐泾镇", "正常"] or "xj" in lines[1]
    code, out, err = _run(monkeypatch, capsys, "--lang", "en", "users", "list")
    assert out.splitlines()[0].split("\t") == ["name", "role", "town", "state"]


@pytest.mark.slow
def test_report_writes_the_one_page_pdf(db, monkeypatch, capsys, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from wufei_geo.reports import briefing_pdf

    if briefing_pdf.cjk_font() is None:
        pytest.skip(f"no CJK font (install {briefing_pdf.FONT_PACKAGE})")
    target = tmp_path / "brief.pdf"
    code, out, err = _run(monkeypatch, capsys, "report", "-o", str(target), "--measure", "site_count")
    assert code == 0, err
    assert len(pypdf.PdfReader(str(target)).pages) == 1
