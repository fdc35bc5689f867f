"""Values on their way into and out of the database: text PostgreSQL can store (``check_text``),
notes (``check_note``, ``optional_note``), pandas/numpy scalars as plain Python (``clean``) and
values as stable hash input (``hashable``)."""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pandas as pd

from wufei_geo.errors import ValidationError
from wufei_geo.model import MAX_NOTE_CHARS


def check_text(label: str, value: str, *, controls: bool = False) -> str:
    """Refuse text PostgreSQL cannot store: NUL and lone UTF-16 surrogates (hostile-input fix: a NUL
    in a note reached PostgreSQL as a raw DataError).  With ``controls`` every other control
    character except tab/newline is refused too (site fields: they end up in XLSX exports, which
    cannot hold them).  Notes keep other control characters: every display escapes them."""
    bad = sorted({ch for ch in value if ch == "\x00" or unicodedata.category(ch) == "Cs"
                  or (controls and unicodedata.category(ch) == "Cc" and ch not in "\t\n\r")})
    if bad:
        raise ValidationError(
            key="error.control_chars", params={"label": label, "chars": ", ".join(f"U+{ord(ch):04X}" for ch in bad)}
        )
    return value


def check_note(note: str) -> str:
    """A note: text PostgreSQL can store (:func:`check_text`) of at most ``MAX_NOTE_CHARS``
    characters — the same cap on every path (issue 15: a 10-million-character note reached the
    append-only audit)."""
    check_text("the note", note)
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError(key="error.note_too_long", params={"n": len(note), "max": MAX_NOTE_CHARS})
    return note


def optional_note(note: Any, check: Any = check_note) -> str | None:
    """An optional note as stored: refused unless text that passes ``check``; stripped; blank → None."""
    if note is not None and not isinstance(note, str):
        raise ValidationError(key="error.note_not_text")
    if note is not None:
        check(note)
    return note.strip() if note and note.strip() else None


def clean(value: Any) -> Any:
    """None for NaN/NaT/pandas NA; numpy scalars to Python."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def hashable(value: Any) -> Any:
    """A column value as JSON-able text for :meth:`Store.content_hash`."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value
