"""The citation register, data/citations.yaml: every page a question's `reference:` cites, with the page title as
confirmed in the docs corpus and the date it was checked. Offline: it compares the bank with the register, it never
fetches a page.

    python -m dp100lab.exam.validate --citations

lists references missing from the register (exit 1), and entries whose page title is not confirmed yet (a to-do for
the maintainer: search the docs for the page and record its title).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import DATA_DIR
from .bank import Bank

CITATIONS = DATA_DIR / "citations.yaml"
# How the register marks a page found only as a source file, or not found: its title was never read.
_PLACEHOLDER = re.compile(r"title not (?:read|found|confirmed)|\bnot found\b|\bunconfirmed\b|^\W*$", re.I)


@dataclass(frozen=True)
class Entry:
    url: str
    title: str
    checked: str

    @property
    def confirmed(self) -> bool:
        """A page title was read from the page (not a placeholder), on a recorded date."""
        return bool(self.title) and not _PLACEHOLDER.search(self.title) and bool(self.checked)


class CitationsError(ValueError):
    """The register file is malformed; the message names the entry and what to fix."""


def load(path: Path | None = None) -> dict[str, Entry]:
    """url -> Entry. Raises CitationsError for a malformed file, an entry without url, or a url listed twice."""
    path = Path(path or CITATIONS)
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pages = doc.get("pages") if isinstance(doc, dict) else None
    if not isinstance(pages, list):
        raise CitationsError(f"{path.name}: expected a mapping with a `pages:` list of {{url, title, checked}}")
    out: dict[str, Entry] = {}
    for i, p in enumerate(pages, 1):
        if not (isinstance(p, dict) and isinstance(p.get("url"), str) and p["url"].startswith("https://")):
            raise CitationsError(f"{path.name}: pages entry {i} needs an https:// url")
        if p["url"] in out:
            raise CitationsError(f"{path.name}: {p['url']} is listed twice; keep one entry")
        checked = p.get("checked")
        checked = checked.isoformat() if isinstance(checked, dt.date) else str(checked or "")
        out[p["url"]] = Entry(p["url"], str(p.get("title") or "").strip(), checked)
    return out


def unlisted(bank: Bank, entries: dict[str, Entry]) -> list[tuple[str, str, str]]:
    """(file, question id, url) of every reference the register does not list."""
    return [(q.file, q.id, q.reference) for q in bank.questions if q.reference not in entries]


def unconfirmed(entries: dict[str, Entry]) -> list[Entry]:
    return [e for e in entries.values() if not e.confirmed]


def unused(bank: Bank, entries: dict[str, Entry]) -> list[str]:
    cited = {q.reference for q in bank.questions}
    return sorted(u for u in entries if u not in cited)


def report(bank: Bank, path: Path | None = None) -> tuple[str, bool]:
    """(text, ok): ok is False when a question cites a page the register does not list."""
    entries = load(path)
    missing, todo, stale = unlisted(bank, entries), unconfirmed(entries), unused(bank, entries)
    lines = [f"{f}: {qid}: reference: {url} is not in citations.yaml; add it with its page title and the date"
             for f, qid, url in missing]
    lines += [f"citations.yaml: {e.url}: page title not confirmed ({e.title or 'no title'}); search the docs for the "
              f"page and record its title" for e in todo]
    lines += [f"citations.yaml: {u}: no question cites it any more" for u in stale]
    lines.append(f"citations: {len(entries)} listed, {len(entries) - len(todo)} with a confirmed title, "
                 f"{len(todo)} without; {len(missing)} reference(s) not listed; {len(stale)} unused")
    return "\n".join(lines), not missing
