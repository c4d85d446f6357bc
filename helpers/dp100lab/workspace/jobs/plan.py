"""The typed run plan: everything the detached runner needs to run one job, written at submission.

Written to <job>/runner.json by `submit` and read by the runner process (and by `jobs.download` / URI
resolution for the job's outputs). One dataclass, one file format, read and written only here.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional

FILE = "runner.json"
LOG = "user_logs/std_log.txt"


@dataclass
class RunPlan:
    name: str
    kind: str                                   # key of jobs/kinds TABLE: "command", "sweep", "automl", ...
    run_id: str
    experiment_id: str
    experiment_name: str
    artifact_uri: str
    cwd: str                                    # the job's working folder (its code snapshot)
    log: str                                    # user_logs/std_log.txt of the job
    env: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)   # output name -> local path the job writes to
    command: str = ""                           # the command with ${{inputs.*}}/${{outputs.*}} resolved
    argv: list[str] = field(default_factory=list)
    parent: Optional[str] = None                # parent job (sweep, AutoML, pipeline) of a child job
    timeout_s: Optional[float] = None           # limits.timeout: Azure stops the job after it

    def write(self, job_dir: Path) -> None:
        job_dir.mkdir(parents=True, exist_ok=True)
        tmp = job_dir / (FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.replace(tmp, job_dir / FILE)  # atomic: a reader never sees half a plan

    @classmethod
    def read(cls, job_dir: Path) -> "RunPlan":
        data = json.loads((job_dir / FILE).read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def read_plan(job_dir: Path) -> Optional[RunPlan]:
    """The plan of a job, or None when it has none yet (or it cannot be read)."""
    try:
        return RunPlan.read(job_dir)
    except (OSError, ValueError, TypeError):
        return None
