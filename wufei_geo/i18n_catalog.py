"""The message catalogue as gettext ``.po`` files, one per language (read and written with Babel).

Files: ``wufei_geo/locale/<lang>/LC_MESSAGES/wufei_geo.po`` (shipped as package data).  The
msgid is the message key (``capacity.title``), the msgstr the text in that language.  The
files are read at run time with ``babel.messages.pofile.read_po`` — no build step, so
``pip install -e .`` keeps working as it is.

Vocabulary tables live in the same files under prefixed keys: ``category.<code>``,
``status.<code>``, ``precision.<code>``, ``wet_waste_mode.<code>``, ``unit.<unit>``.

Maintenance entry point (the integrator folds other branches' legacy dict entries with it)::

    python -m wufei_geo.i18n_catalog fold FILE.py [--update] [--strip] [--dry-run]
    python -m wufei_geo.i18n_catalog check

``fold`` reads (without executing) every ``"key": ("中文", "English")`` entry of the
``MESSAGES`` dict literals in FILE.py — ``MESSAGES = {...}`` or ``MESSAGES.update({...})`` — and
of the old vocabulary tables (``CATEGORY_LABELS`` → ``category.<code>``, ``STATUS_LABELS``,
``PRECISION_LABELS``, ``WET_WASTE_MODE_LABELS``, ``UNIT_LABELS``), and adds the keys the catalogue does not have yet to both .po files.  Keys that exist with a
different text are listed and left alone unless ``--update`` is given.  ``--strip`` then removes
the folded entry lines from FILE.py (use it on ``wufei_geo/i18n.py`` itself, never on a file
you only read).  ``check`` parses both files and fails if a key lacks a language.
"""
from __future__ import annotations

import argparse
import ast
import functools
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LANGS = ("zh", "en")
DOMAIN = "wufei_geo"
LOCALE_DIR = Path(__file__).with_name("locale")
_BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en"}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> dict[str, str]:
    """key → text of one language, in file order (raises if the file does not parse)."""
    with po_path(lang).open("rb") as fh:
        cat = read_po(fh, locale=_BABEL_LOCALE[lang], domain=DOMAIN, abort_invalid=True)
    return {str(m.id): str(m.string) for m in cat if m.id}


@functools.cache
def pairs() -> dict[str, tuple[str, str]]:
    """key → (zh, en) for every key of the catalogue (cached: the files are read once per process)."""
    zh, en = read_catalog("zh"), read_catalog("en")
    return {key: (zh.get(key, ""), en.get(key, "")) for key in dict.fromkeys([*zh, *en])}


def write_catalogs(entries: dict[str, tuple[str, str]]) -> None:
    """Write both .po files from key → (zh, en), keys sorted (stable diffs, easy merges)."""
    for i, lang in enumerate(LANGS):
        cat = Catalog(
            locale=_BABEL_LOCALE[lang], domain=DOMAIN, project="wufei-geo", version="0.1.0",
            copyright_holder="wufei-geo", charset="utf-8", fuzzy=False,
        )
        for key in sorted(entries):
            cat.add(key, entries[key][i])
        buf = io.BytesIO()
        write_po(buf, cat, width=0, omit_header=False, sort_output=True)
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Drop the creation-date line Babel stamps on each write, so an unchanged catalogue
        # writes an unchanged file.
        text = "\n".join(
            line for line in buf.getvalue().decode("utf-8").splitlines()
            if not line.startswith('"POT-Creation-Date:') and not line.startswith('"PO-Revision-Date:')
        )
        path.write_text(text + "\n", encoding="utf-8")
    pairs.cache_clear()


# --------------------------------------------------------------------------- legacy dicts
#: Legacy vocabulary tables and the key prefix their entries take in the catalogue.
VOCABULARY_PREFIXES = {
    "MESSAGES": "",
    "CATEGORY_LABELS": "category.",
    "STATUS_LABELS": "status.",
    "PRECISION_LABELS": "precision.",
    "WET_WASTE_MODE_LABELS": "wet_waste_mode.",
    "UNIT_LABELS": "unit.",
}


def _prefix_of(node: ast.AST) -> str | None:
    return VOCABULARY_PREFIXES.get(node.id) if isinstance(node, ast.Name) else None


def legacy_entries(source: str) -> list[tuple[str, str, str, int, int]]:
    """Every ``"key": ("zh", "en")`` entry of a MESSAGES dict literal in ``source``:
    ``(key, zh, en, first_line, last_line)``.  The source is parsed, never executed."""
    tree = ast.parse(source)
    dicts: list[tuple[str, ast.Dict]] = []
    for node in ast.walk(tree):
        prefix = None
        if isinstance(node, ast.Assign):
            prefix = next((p for p in map(_prefix_of, node.targets) if p is not None), None)
            value = node.value
        elif isinstance(node, ast.AnnAssign):
            prefix, value = _prefix_of(node.target), node.value
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update" and node.args
        ):
            prefix, value = _prefix_of(node.func.value), node.args[0]
        if prefix is not None and isinstance(value, ast.Dict):
            dicts.append((prefix, value))
    out = []
    for prefix, d in dicts:
        for k, v in zip(d.keys, d.values, strict=True):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                continue
            texts = _literal_pair(v)
            if texts is None:
                raise ValueError(f"line {k.lineno}: entry {k.value!r} is not a (\"中文\", \"English\") pair of literals")
            out.append((prefix + k.value, texts[0], texts[1], k.lineno, v.end_lineno or v.lineno))
    return out


def _literal_pair(node: ast.AST) -> tuple[str, str] | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(x, str) for x in value):
        return value
    return None


def fold(path: str | Path, update: bool = False, strip: bool = False, dry_run: bool = False) -> dict[str, list[str]]:
    """Fold the legacy MESSAGES entries of ``path`` into the .po files (see the module doc).

    Returns ``{"added": [...], "updated": [...], "differs": [...], "same": [...]}``."""
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    found = legacy_entries(source)
    current = dict(pairs())
    report: dict[str, list[str]] = {"added": [], "updated": [], "differs": [], "same": []}
    for key, zh, en, _a, _b in found:
        if not zh or not en:
            raise ValueError(f"{key}: both languages are needed (zh={zh!r}, en={en!r})")
        old = current.get(key)
        if old is None:
            current[key] = (zh, en)
            report["added"].append(key)
        elif old == (zh, en):
            report["same"].append(key)
        elif update:
            current[key] = (zh, en)
            report["updated"].append(key)
        else:
            report["differs"].append(key)
    if dry_run:
        return report
    if report["added"] or report["updated"]:
        write_catalogs(current)
    if strip and found:
        drop = set()
        for key, _zh, _en, first, last in found:
            if key in report["differs"]:
                continue  # not folded: keep it visible in the file
            drop.update(range(first, last + 1))
        lines = source.splitlines(keepends=True)
        path.write_text("".join(line for i, line in enumerate(lines, 1) if i not in drop), encoding="utf-8")
    return report


def check() -> list[str]:
    """Problems of the catalogue: a file that does not parse, a key missing a language."""
    problems = []
    try:
        zh, en = read_catalog("zh"), read_catalog("en")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return [f"catalogue does not parse: {exc}"]
    for key in sorted(set(zh) | set(en)):
        if not zh.get(key):
            problems.append(f"{key}: no Chinese text")
        if not en.get(key):
            problems.append(f"{key}: no English text")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wufei_geo.i18n_catalog",
        description="Maintain the gettext message catalogue (wufei_geo/locale/*/LC_MESSAGES/wufei_geo.po).",
        epilog="Example: python -m wufei_geo.i18n_catalog fold wufei_geo/i18n.py --strip",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fold", help="add a Python file's legacy MESSAGES entries to the .po files")
    p.add_argument("file", help="a Python file with MESSAGES = {...} or MESSAGES.update({...}) entries")
    p.add_argument("--update", action="store_true", help="also overwrite keys whose text differs")
    p.add_argument("--strip", action="store_true", help="remove the folded entry lines from FILE afterwards")
    p.add_argument("--dry-run", action="store_true", help="only report what would be added, updated or differs")
    sub.add_parser("check", help="parse both .po files; fail if a key lacks a language")
    args = parser.parse_args(argv)
    if args.cmd == "fold":
        report = fold(args.file, update=args.update, strip=args.strip, dry_run=args.dry_run)
        for kind in ("added", "updated", "differs"):
            for key in report[kind]:
                print(f"{kind}: {key}")
        print(f"{len(report['added'])} added, {len(report['updated'])} updated, "
              f"{len(report['differs'])} differ (left alone; --update overwrites), {len(report['same'])} unchanged")
        return 0
    problems = check()
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
