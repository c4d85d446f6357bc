"""Public http(s) files as job inputs: fetched once into the store, as a job on Azure downloads them when it starts.

Microsoft's samples give jobs inputs like Input(type="uri_file", path="https://azuremlexamples.blob.core.windows.net/
datasets/iris.csv"). On Azure the job's node reads the URL; here the file is fetched into <root>/downloads/ the first
time a job needs it and reused after that. A folder URL cannot be listed over plain http(s), and other storage
schemes (wasbs://, abfss://) need credentials: both are refused with what to do instead. A download writes to a
temporary file and renames it when complete, so an interrupted one leaves nothing half-written behind.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .errors import invalid, note

HTTP_SCHEMES = ("https://", "http://")
TIMEOUT_S = 30
_CHUNK = 1 << 16
_BAR_FROM = 5 << 20  # a progress bar for files of 5 MB and more


def fetch(store: Any, url: str) -> Path:
    """The local copy of a public http(s) file, downloaded on first use."""
    name = urllib.parse.unquote(urllib.parse.urlparse(url).path.rstrip("/").rsplit("/", 1)[-1])
    if url.split("?")[0].endswith("/") or not name:
        raise invalid(f"'{url}' is a folder URL: plain http(s) cannot list a folder's files, so the local workspace "
                      f"cannot read it. Give the URL of one file (uri_file), or download the folder and pass its "
                      f"local path.")
    target = Path(store.root) / "downloads" / hashlib.sha256(url.encode()).hexdigest()[:16] / name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + f".{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer, open(part, "wb") as out:
            total = int(answer.headers.get("Content-Length") or 0)
            bar = None
            if total >= _BAR_FROM:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}")
            while chunk := answer.read(_CHUNK):
                out.write(chunk)
                if bar:
                    bar.update(len(chunk))
            if bar:
                bar.close()
        os.replace(part, target)
    except (urllib.error.URLError, OSError, ValueError) as e:
        part.unlink(missing_ok=True)
        reason = getattr(e, "reason", None) or e
        raise invalid(f"'{url}' could not be downloaded ({reason}). A job on Azure reads a public http(s) input "
                      f"from the internet when it starts, and so does the local workspace: connect this machine "
                      f"and resubmit, or download the file yourself and pass its local path.") from None
    note(f"downloaded {url} ({target.stat().st_size:,} bytes) for the job, as its node would on Azure; later jobs "
         f"reuse {target}.")
    return target
