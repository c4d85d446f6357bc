"""Skills outlines (DP-100 and its successor AI-300) and the crosswalk between them, loaded from data/outlines."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from . import DATA_DIR

OUTLINES_DIR = DATA_DIR / "outlines"


@dataclass(frozen=True)
class Skill:
    id: str
    text: str
    group_id: str
    group_title: str
    domain_id: str
    confirmed: bool


@dataclass
class Domain:
    id: str
    title: str
    weight_min: int
    weight_max: int
    skills: list[Skill] = field(default_factory=list)

    @property
    def weight_mid(self) -> float:
        return (self.weight_min + self.weight_max) / 2


@dataclass
class Outline:
    exam: str
    title: str
    source: str
    outline_version: str
    domains: list[Domain]
    raw: dict

    @property
    def skills(self) -> dict[str, Skill]:
        return {s.id: s for d in self.domains for s in d.skills}

    @property
    def domain_ids(self) -> list[str]:
        return [d.id for d in self.domains]

    def domain(self, domain_id: str) -> Domain:
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)

    def domain_of(self, skill_id: str) -> str:
        return self.skills[skill_id].domain_id

    def groups(self) -> dict[str, str]:
        return {s.group_id: s.group_title for s in self.skills.values()}

    @property
    def name(self) -> str:
        """'dp100' or 'ai300': the prefix of this outline's skill ids."""
        return self.exam.lower().replace("-", "")


def parse_outline(doc: dict) -> Outline:
    domains = []
    for d in doc["domains"]:
        dom = Domain(d["id"], d["title"], int(d["weight_min"]), int(d["weight_max"]))
        for g in d["groups"]:
            for s in g["skills"]:
                dom.skills.append(Skill(s["id"], s["text"], g["id"], g["title"], d["id"], bool(s.get("confirmed"))))
        domains.append(dom)
    return Outline(doc["exam"], doc["title"], doc.get("source", ""), doc.get("outline_version", ""), domains, doc)


def load_outline(name: str, directory: Path | None = None) -> Outline:
    """name: 'dp100' or 'ai300'."""
    path = (directory or OUTLINES_DIR) / f"{name}.yaml"
    return parse_outline(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=None)
def dp100() -> Outline:
    return load_outline("dp100")


@lru_cache(maxsize=None)
def ai300() -> Outline:
    return load_outline("ai300")


@lru_cache(maxsize=None)
def crosswalk() -> dict[str, list[str]]:
    """dp100 skill id -> list of ai300 skill ids ([] when AI-300 drops the skill)."""
    doc = yaml.safe_load((OUTLINES_DIR / "crosswalk.yaml").read_text(encoding="utf-8"))
    return {row["dp100"]: list(row.get("ai300") or []) for row in doc["map"]}


def crosswalk_notes() -> dict[str, str]:
    doc = yaml.safe_load((OUTLINES_DIR / "crosswalk.yaml").read_text(encoding="utf-8"))
    return {row["dp100"]: row["note"] for row in doc["map"] if row.get("note")}


NAMES = ("dp100", "ai300")
LIVE = "ai300"  # the exam candidates can sit today (DP-100 retired); the CLI's default outline


def status_line(name: str) -> str:
    """One line for the start of a quiz or mock exam: which outline it uses and where DP-100 and AI-300 stand."""
    dp, ai = dp100(), ai300()
    retired = f"{dp.exam} retired on {dp.raw['retired']}"
    if get(name).name == "dp100":
        return (f"Outline: {dp.exam} ({dp.title}); {retired}, {ai.exam} is the live exam "
                f"(--outline {ai.name}, the default).")
    return (f"Outline: {ai.exam} ({ai.title}), the live exam; {retired} "
            f"(--outline {dp.name} for its outline).")


def get(name: str) -> Outline:
    """The outline called name ('dp100', 'ai300'; 'DP-100' and 'AI-300' work too)."""
    key = str(name).lower().replace("-", "").replace("_", "")
    if key not in NAMES:
        raise ValueError(f"unknown outline {name!r}; choose one of: {', '.join(NAMES)}")
    return dp100() if key == "dp100" else ai300()


def ai300_for(dp_skills: list[str], explicit: list[str] | None = None) -> list[str]:
    """AI-300 skills a question or notebook covers: its explicit AI-300 ids (an `ai300:` list, or `ai300-` ids
    among its skills) if it has any, else its DP-100 skills mapped through the crosswalk."""
    direct = list(explicit or []) + [s for s in dp_skills if s.startswith("ai300-")]
    if direct:
        return list(dict.fromkeys(direct))
    cw = crosswalk()
    return list(dict.fromkeys(a for s in dp_skills for a in cw.get(s, [])))


def skills_of(q, outline: Outline | str) -> list[str]:
    """The skill ids of one outline that a question tests, its main skill first."""
    name = outline if isinstance(outline, str) else outline.name
    if name == "dp100":
        return [s for s in q.skills if s.startswith("dp100-")]
    return ai300_for(q.skills, q.ai300)


def domain_of(q, outline: Outline) -> str | None:
    """A question counts toward the domain of its first skill in that outline (the one it mainly tests)."""
    skills = outline.skills
    mine = [s for s in skills_of(q, outline) if s in skills]
    return skills[mine[0]].domain_id if mine else None
