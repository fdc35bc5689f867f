"""Settings: defaults, overridden by a TOML file (``WUFEI_CONFIG``) and then by environment variables.

Only deployment choices live here; facts about the plan live in ``facilities/``.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from wufei_geo.paths import database_url


@dataclass(frozen=True)
class GenerationParameters:
    """Parameters of the indicative wet-waste generation estimate (shown and editable)."""

    per_capita_kg_day: float = 1.1
    per_capita_source: str = "规划附表1 第11行: 生活垃圾清运量 1.1 kg/(人·日), 2020"
    wet_share: float = 0.348
    wet_share_source: str = (
        "上海市绿化市容局, 2020年3月 湿垃圾约占生活垃圾 34.8% (via 北极星固废网 2020-06-09); "
        "Shanghai-wide, not Qingpu"
    )


@dataclass(frozen=True)
class Settings:
    db_url: str = ""
    public_read: bool = True  # map readable without login; editing always needs login
    session_idle_minutes: int = 30
    # A session ends this many hours after its log-in however active it is (a stolen or forgotten
    # session does not live for ever by being used).
    session_max_hours: int = 12
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    tianditu_token: str = ""  # 天地图 key; the basemap is hidden when empty
    # Draw sites known only to the district at made-up points around the district seat (the
    # old drawing); off by default: no invented places.  Same as the CLI's --placeholder-points.
    placeholder_points: bool = False
    # The forecast trusts a status only when a person confirmed it within this many months
    # (issue 11: an edit confirms; older statuses make the forecast say it cannot tell).
    status_confirmation_months: int = 12
    # The file holding the installation's backup-signing secret (empty: beside a SQLite database
    # file, ``<database>.secret``; on PostgreSQL the database's meta table).  Kept apart from the
    # database it protects: a restore after the database was lost still verifies the backup.
    signing_secret_file: str = ""
    generation: GenerationParameters = field(default_factory=GenerationParameters)


_ENV = {
    "db_url": "WUFEI_DB_URL",
    "public_read": "WUFEI_PUBLIC_READ",
    "session_idle_minutes": "WUFEI_SESSION_IDLE_MINUTES",
    "session_max_hours": "WUFEI_SESSION_MAX_HOURS",
    "lockout_attempts": "WUFEI_LOCKOUT_ATTEMPTS",
    "lockout_minutes": "WUFEI_LOCKOUT_MINUTES",
    "tianditu_token": "WUFEI_TIANDITU_TOKEN",
    "placeholder_points": "WUFEI_PLACEHOLDER_POINTS",
    "status_confirmation_months": "WUFEI_STATUS_CONFIRMATION_MONTHS",
    "signing_secret_file": "WUFEI_SIGNING_SECRET_FILE",
}


def _coerce(name: str, raw: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind in ("bool", bool):
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in {"1", "true", "yes", "on"}
    if kind in ("int", int):
        return int(raw)
    return str(raw)


def load_settings(config_file: str | Path | None = None) -> Settings:
    """Defaults ← TOML file (``WUFEI_CONFIG`` or ``config_file``) ← environment variables."""
    values: dict[str, object] = {}
    generation = GenerationParameters()
    path = config_file or os.environ.get("WUFEI_CONFIG")
    if path:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        for name in _ENV:
            if name in data:
                values[name] = _coerce(name, data[name])
        if isinstance(data.get("generation"), dict):
            generation = replace(generation, **data["generation"])
    for name, env in _ENV.items():
        if os.environ.get(env, "").strip():
            values[name] = _coerce(name, os.environ[env])
    settings = Settings(generation=generation, **values)
    if not settings.db_url:
        settings = replace(settings, db_url=database_url())
    return settings
