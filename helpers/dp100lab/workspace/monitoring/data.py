"""Reading monitoring inputs as pandas tables: MLTable folders, CSV/Parquet/JSON Lines files, and folders of data
collected from online deployments (the data collector's JSON Lines layout), cut to a data window.

Collected data (how-to-collect-production-data, "Store collected data in Blob Storage") is one JSON object per
line with the logged DataFrame rows in "data" and the collection time in "time"; Azure's preprocessing flattens
the rows and filters them to the window, which is what read_collected does.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import pandas as pd

_DURATION = re.compile(r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def iso_duration(text: Optional[str]) -> Optional[timedelta]:
    """ISO 8601 durations as Azure's data windows use them (P7D, P1W, PT12H); None stays None."""
    if text in (None, ""):
        return None
    m = _DURATION.match(str(text).strip().upper())
    if not m or not any(m.groupdict().values()):
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P7D (7 days) or PT6H (6 hours).")
    g = {k: int(v or 0) for k, v in m.groupdict().items()}
    return timedelta(weeks=g["w"], days=g["d"], hours=g["h"], minutes=g["m"], seconds=g["s"])


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def read_collected(folder: Path, start: Optional[datetime] = None, end: Optional[datetime] = None) -> pd.DataFrame:
    """Rows logged by the data collector under `folder` (…/<collection>/yyyy/MM/dd/HH/*.jsonl) in [start, end)."""
    rows: list[dict] = []
    for f in sorted(Path(folder).rglob("*.jsonl")):
        for line in f.read_text().splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            t = _parse_time(event["time"]) if "time" in event else None
            if t is not None and ((start and t < start) or (end and t >= end)):
                continue
            data = event.get("data")
            data = json.loads(data) if isinstance(data, str) else data
            for row in data if isinstance(data, list) else [data]:
                if isinstance(row, dict):
                    rows.append({**row, "correlationid": event.get("correlationid")})
    frame = pd.DataFrame(rows)
    return frame.drop(columns=["correlationid"]) if "correlationid" in frame.columns else frame


def read_table(path: Path, kind: str = "uri_folder", window: Optional[tuple] = None) -> pd.DataFrame:
    """A tabular input as a DataFrame: mltable folder, a file, or a folder of collected or tabular files."""
    path = Path(path)
    if kind == "mltable" or (path.is_dir() and (path / "MLTable").exists()):
        import mltable

        return mltable.load(str(path)).to_pandas_dataframe()
    if path.is_file():
        return _read_file(path)
    if any(path.rglob("*.jsonl")):
        start, end = window or (None, None)
        return read_collected(path, start, end)
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".parquet", ".json"))
    if not files:
        return pd.DataFrame()
    return pd.concat([_read_file(p) for p in files], ignore_index=True)


def _read_file(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".jsonl", ".json"):
        return read_collected(path.parent) if suffix == ".jsonl" else pd.read_json(path)
    return pd.read_csv(path)


def window_bounds(window: Optional[dict], default_size: timedelta, now: Optional[datetime] = None,
                  default_offset: timedelta = timedelta(0)) -> tuple[datetime, datetime]:
    """[start, end) of a data window: fixed (window_start/window_end) or rolling (size and offset before now)."""
    now = now or datetime.now(timezone.utc)
    w = window or {}
    if w.get("window_start") or w.get("window_end"):
        start = _parse_time(w["window_start"]) if w.get("window_start") else datetime.min.replace(tzinfo=timezone.utc)
        end = _parse_time(w["window_end"]) if w.get("window_end") else now
        return start, end
    size = iso_duration(w.get("lookback_window_size")) or default_size
    offset = iso_duration(w.get("lookback_window_offset"))
    end = now - (offset if offset is not None else default_offset)
    return end - size, end
