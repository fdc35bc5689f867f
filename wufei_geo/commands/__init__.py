"""Sub-command groups of the wufei-geo CLI (one module per group, discovered automatically),
and the language their messages are printed in: ``--lang``, else the locale."""
from __future__ import annotations

import os
import sys

_lang: str | None = None


def set_lang(value: str | None) -> None:
    global _lang
    _lang = value if value in ("zh", "en") else None


def locale_lang() -> str:
    """``en`` for an English locale (LC_ALL / LC_MESSAGES / LANG = en_*), else ``zh`` — the
    product's default, also for the C/POSIX locale of servers and CI."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def lang() -> str:
    """The language of this run: ``--lang`` when given, else :func:`locale_lang`."""
    return _lang or locale_lang()


def fail(exc: BaseException | str) -> int:
    """Print a refusal in the run's language (keyed core refusals from the catalogue) and return 1."""
    from wufei_geo import i18n

    text = exc if isinstance(exc, str) else i18n.error_text(exc, lang())
    rule = None if isinstance(exc, str) else getattr(exc, "rule", None)
    print(f"{i18n.t('cli.error', lang())}{f' [{rule}]' if rule else ''}: {text}", file=sys.stderr)
    return 1
