"""The command line's help follows the README's language rule: only an English locale (``LANG=en_*``)
or ``--lang en`` gives English; ``C.UTF-8``, an unset ``LANG`` or a Chinese locale give Chinese —
the description, every option, the sub-command lists and argparse's own words ("usage:",
"options:", "show this help message and exit", the error prefix), all from the catalogue."""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

import pytest

from wufei_geo import cli
from wufei_geo.i18n import MESSAGES

# A run of three or more English words: prose.  Codes people type (town_official, --apply,
# {zh,en}), placeholders (FILE, TOWN) and the example command lines are not prose.
_PROSE = re.compile(r"(?<![\w{,./'-])[A-Za-z][a-z]+(?:[ ]+[A-Za-z][a-z]+){2,}(?![\w}'-])")
_ARGPARSE_ENGLISH = ("usage:", "options:", "positional arguments", "show this help message and exit", "error:")


def _paths(lang: str) -> list[tuple[str, argparse.ArgumentParser]]:
    out = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        out.append((path, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}".strip())

    walk(cli.build_parser(lang), "")
    return out


def _prose(help_text: str) -> list[str]:
    """The English prose of a help text, leaving out its usage block and its example lines."""
    body = help_text.split("\n\n", 1)[-1] if help_text.startswith(("用法", "usage")) else help_text
    lines = [line for line in body.splitlines() if not line.strip().startswith("wufei-geo ")]
    return [m for line in lines for m in _PROSE.findall(line)]


def _help(argv: list[str], env_lang: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES")}
    if env_lang is not None:
        env["LANG"] = env_lang
    done = subprocess.run([sys.executable, "-m", "wufei_geo", *argv, "--help"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_help_text_is_a_catalogue_entry_in_both_languages():
    for lang in ("zh", "en"):
        for path, parser in _paths(lang):
            texts = [parser.description or "", parser.epilog or ""]
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    texts += [choice.help or "" for choice in action._choices_actions]
                else:
                    texts.append(action.help or "")
            # a key the catalogue lacks comes back as the key itself
            assert not [x for x in texts if x.startswith("cli.")], (lang, path, [x for x in texts if x.startswith("cli.")])
            assert all(texts[2:]), (lang, path)
    keys = [k for k in MESSAGES if k.startswith(("cli.cmd.", "cli.opt.", "cli.argparse."))]
    assert len(keys) > 150 and all(MESSAGES[k][0] and MESSAGES[k][1] for k in keys)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_help_of_every_command_is_in_one_language(lang: str):
    for path, parser in _paths(lang):
        text = parser.format_help()
        prose = _prose(text)
        if lang == "zh":
            assert not prose, (path, prose)
            assert not [w for w in _ARGPARSE_ENGLISH if w in text], (path, text)
            assert "用法：" in text and "显示此帮助并退出" in text and "示例：" in text, path
        else:
            assert "usage: " in text and "show this help message and exit" in text and "Example:" in text, path
            assert prose, path  # English sentences, not codes only
            assert not [w for w in ("用法", "选项", "位置参数", "显示此帮助", "示例") if w in text], path


@pytest.mark.parametrize(("env_lang", "english"), [("C.UTF-8", False), (None, False), ("zh_CN.UTF-8", False),
                                                   ("en_US.UTF-8", True)])
def test_the_locale_chooses_the_help_language_as_the_readme_says(env_lang: str | None, english: bool):
    for argv in (["--lang", "zh"] if english else [], []):
        top = _help(argv, env_lang)
        if english and not argv:
            assert top.startswith("usage: wufei-geo") and "show this help message and exit" in top
        else:
            assert top.startswith("用法：wufei-geo") and "显示此帮助并退出" in top and not _prose(top)
    sub = _help(["users", "add"], env_lang)
    assert ("the new account's log-in name" in sub) == english and ("新账户的登录名" in sub) != english
    assert "英文名称" in _help(["--lang", "zh", "places", "add"], "en_GB.UTF-8")


def test_argparse_errors_speak_the_run_language(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    for argv, words in ((["users", "add"], "缺少必需的参数：name, --role"),
                        (["capacity", "--counts-toward", "x"], "无效的选项 'x'"),
                        (["sites", "--bogus"], "无法识别的参数：--bogus")):
        with pytest.raises(SystemExit) as stop:
            cli.main(argv)
        err = capsys.readouterr().err
        assert stop.value.code == 2 and "用法：" in err and "错误: " in err and words in err, err
        assert not _prose(err.splitlines()[-1]), err
    with pytest.raises(SystemExit):
        cli.main(["--lang", "en", "users", "add"])
    err = capsys.readouterr().err
    assert "usage: " in err and "error: the following arguments are required: name, --role" in err
