"""Job kinds: which module submits and runs each azure.ai.ml job entity.

One row per kind. A new kind is a new file in this folder plus one row here; nothing dispatches on class names.
Each kind module provides:
    KIND: str                                   the row's name (also the job row's `type`)
    to_job(entity) -> Job                       a deep copy, as the job the SDK would submit (builders turned to jobs)
    prepare(client, job, name, job_dir) -> Prepared   validate and resolve for this machine (jobs/submit.py)
    run(store, plan) -> (status, error|None)    the job's work, inside the detached runner process
and optionally cancel(store, name) (default: stop the job's script process group), and submitted(client, plan),
called in the submitting process once the job is recorded, before its runner starts (pipeline: reused steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from types import ModuleType
from typing import Any, Optional

_SDK = "azure.ai.ml.entities"


@dataclass(frozen=True)
class Kind:
    name: str
    module: str                 # module in this package
    entities: tuple             # "module:Class" of the azure.ai.ml entities it takes, imported on first use:
                                # the runner process dispatches by name and never loads the SDK for a command
    what: str                   # for messages
    module_nn: Optional[str]    # the course module that teaches it (for the "arrives in" line until it exists)
    azure_would: str


TABLE = (
    Kind("command", "command", (f"{_SDK}:Command", f"{_SDK}:CommandJob"), "command job", "05",
         "run the command on the compute"),
    Kind("sweep", "sweep", (f"{_SDK}:Sweep", "azure.ai.ml.sweep:SweepJob"), "sweep job", "07",
         "run the trials of the sweep on the compute and pick the best"),
    Kind("automl", "automl", ("dp100lab.workspace._sdk:AutoMLJob",), "AutoML job", "06",
         "train and compare models automatically on the compute"),
    Kind("batch_scoring", "batch_scoring", ("dp100lab.workspace.jobs.batch.entity:BatchScoringJob",),
         "batch scoring job", "10",  # before pipeline: a subclass of PipelineJob
         "score the input files in mini-batches on the deployment's compute cluster"),
    Kind("pipeline", "pipeline", (f"{_SDK}:PipelineJob",), "pipeline job", "08", "run the pipeline's steps as child jobs"),
    Kind("monitoring", "monitoring", (f"{_SDK}:MonitorSchedule", f"{_SDK}:MonitorDefinition"), "monitoring run", "11",
         "compute the monitor's signals on serverless Spark"),
)


@lru_cache(maxsize=None)
def _classes(kind: Kind) -> tuple:
    found = []
    for ref in kind.entities:
        module, cls = ref.split(":")
        found.append(getattr(import_module(module), cls))
    return tuple(found)


def _load(kind: Kind) -> ModuleType:
    try:
        return import_module(f"{__name__}.{kind.module}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{kind.module}":
            raise
        from ...core.errors import not_yet

        raise not_yet(kind.module_nn or "?", f"Submitting a {kind.what} to ml_client.jobs", kind.azure_would)


# Job types Azure runs that need Azure's own services; the local workspace says so instead of guessing.
AZURE_ONLY = {
    "spark": "serverless Spark compute or an attached Synapse Spark pool",
    "import": "a data import from an external source (a connection to Snowflake, Azure SQL or S3)",
    "data_transfer": "Azure's data transfer service (copy, merge, import or export between stores)",
}


def row_for(entity: Any) -> Kind:
    from ...core.errors import invalid

    for kind in TABLE:
        if isinstance(entity, _classes(kind)):
            return kind
    needs = AZURE_ONLY.get(str(getattr(entity, "type", "") or ""))
    if needs:
        raise invalid(f"A {entity.type} job runs on Azure only: it needs {needs}, which this machine does not have. "
                      f"Configure an Azure ML workspace to submit it; locally, do the same work in a command job.",
                      kind="job")
    known = ", ".join(k.what for k in TABLE)
    raise invalid(f"ml_client.jobs.create_or_update got a {type(entity).__name__}; the local workspace runs {known} "
                  f"entities (azure.ai.ml.command(...), .sweep(...), automl.classification(...), @dsl.pipeline, or "
                  f"a YAML loaded with load_job).", kind="job")


def for_entity(entity: Any) -> ModuleType:
    """The kind module that takes this entity."""
    return _load(row_for(entity))


def by_name(name: str) -> ModuleType:
    for kind in TABLE:
        if kind.name == name:
            return _load(kind)
    raise KeyError(f"unknown job kind {name!r} (known: {[k.name for k in TABLE]})")
