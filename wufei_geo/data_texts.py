"""Texts from the data files in the reader's language.

The data files write notes and sources in English with a Chinese version in the column next to
it (``facilities/sites.csv``: ``status_source_zh``, ``location_source_zh``, ``data_note_zh``;
``facilities/targets.csv``: ``note_zh``; ``geodata/towns.csv``: ``seat_source_zh``,
``area_note_zh``, ``population_note_zh``, ``count_note_zh``).  The store keeps the English one
(its schema is unchanged); :func:`localise` turns a text that came from these files into Chinese
when the reader reads Chinese.  Text an official typed is not in the files and stays as written.
"""
from __future__ import annotations

import csv
import io
import subprocess
from functools import cache
from pathlib import Path

from wufei_geo.paths import FACILITIES_DIR, GEODATA_DIR

_FILES: tuple[tuple[Path, tuple[str, ...]], ...] = (
    (FACILITIES_DIR / "sites.csv", ("status_source", "location_source", "data_note")),
    (FACILITIES_DIR / "targets.csv", ("note",)),
    (GEODATA_DIR / "towns.csv", ("seat_source", "area_note", "population_note", "count_note")),
)


@cache
def chinese_versions() -> dict[str, str]:
    """English text of the data files → its Chinese version (from the ``*_zh`` columns)."""
    out: dict[str, str] = {}
    for path, columns in _FILES:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for column in columns:
                    en, zh = (row.get(column) or "").strip(), (row.get(f"{column}_zh") or "").strip()
                    if en and zh:
                        out.setdefault(en, zh)
    return out


def localise(text: object, lang: str) -> object:
    """``text`` in ``lang``: a data-file text gets its Chinese version in zh; anything else
    (None, numbers, an official's own words) comes back unchanged."""
    if lang != "zh" or not isinstance(text, str) or not text:
        return text
    return chinese_versions().get(text.strip(), text)


# --------------------------------------------------------------------------- maintenance
def _pairs_of(text: str, columns: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        for column in columns:
            en, zh = (row.get(column) or "").strip(), (row.get(f"{column}_zh") or "").strip()
            if en and zh:
                out.setdefault(en, zh)
    return out


def fill(ref: str | None = None) -> list[str]:
    """Give each data file its ``*_zh`` columns (inserted after the English one) and fill empty
    Chinese cells from the translations known — those in the files now and, with ``ref``, those in
    the files at that git revision (``git show REF:path``; for merges whose other side has no
    ``*_zh`` columns).  Returns the English texts still without a Chinese version (to be written
    by a person; ``wufei-geo validate`` refuses them)."""
    missing: list[str] = []
    for path, columns in _FILES:
        if not path.exists():
            continue
        raw = path.read_text(encoding="utf-8")
        known = _pairs_of(raw, columns)
        if ref:
            rel = path.relative_to(FACILITIES_DIR.parent).as_posix()
            shown = subprocess.run(["git", "show", f"{ref}:{rel}"], cwd=FACILITIES_DIR.parent,
                                   capture_output=True, text=True, encoding="utf-8")
            if shown.returncode == 0:
                known = {**_pairs_of(shown.stdout, columns), **known}
        rows = list(csv.reader(io.StringIO(raw)))
        header, body = rows[0], rows[1:]
        new_header: list[str] = []
        for name in header:
            if name.endswith("_zh") and name[:-3] in columns:
                continue  # re-placed right after its English column below
            new_header.append(name)
            if name in columns:
                new_header.append(f"{name}_zh")
        out = []
        for record in body:
            cells = dict(zip(header, record, strict=False))
            for column in columns:
                en = (cells.get(column) or "").strip()
                if en and not (cells.get(f"{column}_zh") or "").strip():
                    if en in known:
                        cells[f"{column}_zh"] = known[en]
                    else:
                        missing.append(f"{path.name}: {column}: {en}")
            out.append([cells.get(name, "") for name in new_header])
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n" if "\r\n" in raw else "\n")
        writer.writerow(new_header)
        writer.writerows(out)
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    chinese_versions.cache_clear()
    return missing


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m wufei_geo.data_texts",
        description="Keep the Chinese versions (*_zh columns) of the data files' notes and sources.",
        epilog="Example (after a merge that took the other side's sites.csv):\n"
               "  python -m wufei_geo.data_texts fill --from-ref i14",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fill", help="add missing *_zh columns and fill them from known translations")
    p.add_argument("--from-ref", default=None, help="also take translations from the files at this git revision")
    args = parser.parse_args(argv)
    missing = fill(args.from_ref)
    for line in missing:
        print(f"no Chinese version yet: {line}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
