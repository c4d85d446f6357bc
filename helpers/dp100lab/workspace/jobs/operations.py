"""ml_client.jobs for the local workspace: jobs of every kind run as local processes, with Azure's API and entities.

Jobs are stored in the SDK's REST form and rebuilt with the SDK's own loader (_sdk.job_from_rest_dict), the same
path azure-ai-ml takes for a job fetched from Azure: get() and create_or_update() return the same entity type
(Command, SweepJob, AutoMLJob, PipelineJob), literal inputs come back as strings, and status, studio_url and
creation_context are filled in as the service fills them. Which kind runs a job is jobs/kinds' table.
"""

from __future__ import annotations

import copy
import json
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from azure.ai.ml.entities import Job
from azure.ai.ml.exceptions import ErrorCategory, ErrorTarget, JobException
from azure.core.paging import ItemPaged

from .. import _sdk
from ..core import processes, tracking
from ..core.errors import not_found, note
from ..core.poller import LocalPoller, completed
from ..core.store import TERMINAL_STATUSES
from . import kinds, recovery
from .plan import LOG, read_plan
from .stream import follow
from .submit import submit


def _job_exception(msg: str, category: ErrorCategory = ErrorCategory.USER_ERROR) -> JobException:
    return JobException(message=msg, target=ErrorTarget.JOB, no_personal_data_message=msg, error_category=category)


class JobOperations:
    """The local counterpart of azure.ai.ml.operations.JobOperations."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store
        recovery.recover_dead_jobs(self._store)  # a job whose process died is marked Failed on next start

    # ---- reading -------------------------------------------------------------------------------------
    def _row(self, name: str) -> dict:
        row = recovery.check(self._store, self._store.get_job(name))
        if row is None:
            names = [r["name"] for r in self._store.list_jobs()[:15]]
            raise not_found("job", name, available=names,
                            hint="Check the name (returned_job.name) or list jobs with ml_client.jobs.list().")
        return row

    def _entity(self, row: dict) -> Job:
        spec = copy.deepcopy(row["spec"])
        local = spec.pop("_local", {})
        spec["properties"]["status"] = row["status"]
        if local.get("experiment_id") and row.get("run_id"):
            url = tracking.studio_url(local["experiment_id"], row["run_id"], self._store)
            services = spec["properties"].get("services") or {}  # the job's own (JupyterLab, VS Code...) are kept
            spec["properties"]["services"] = {**services, "Studio": {"endpoint": url, "jobServiceType": "Studio"}}
        spec["systemData"] = {"createdBy": local.get("created_by", "local user"), "createdByType": "User",
                              "createdAt": row["created_at"], "lastModifiedAt": row["updated_at"]}
        return _sdk.job_from_rest_dict(spec)

    def get(self, name: str) -> Job:
        """The job with its current status. ResourceNotFoundError when there is none, as on Azure."""
        return self._entity(self._row(name))

    def list(self, *, parent_job_name: Optional[str] = None, list_view_type: Any = "ActiveOnly",
             **kwargs: Any) -> Iterable[Job]:
        """Jobs newest first (children of `parent_job_name` only when given; top-level jobs otherwise, as Azure
        lists them); archived ones only with list_view_type=ListViewType.ARCHIVED_ONLY / ALL."""
        parent = self._row(parent_job_name) if parent_job_name else None
        view = str(getattr(list_view_type, "value", list_view_type)).lower()
        rows = [recovery.check(self._store, r) for r in self._store.list_jobs(parent=parent_job_name)]
        rows = [r for r in rows if r["parent"] == parent_job_name]
        if parent and parent["type"] == "batch_scoring" and not rows:  # the docs read outputs from this child
            note("a batch endpoint job scores in one local job, listed here as its own scoring step; on Azure the "
                 "scoring runs as a child job of the batch job, with the same 'score' output.")
            rows = [parent]
        archived = lambda r: bool(r["spec"]["properties"].get("isArchived"))  # noqa: E731
        if view.startswith("active"):
            rows = [r for r in rows if not archived(r)]
        elif view.startswith("archived"):
            rows = [r for r in rows if archived(r)]
        items = [self._entity(r) for r in rows]
        max_results = kwargs.get("max_results")
        items = items[:max_results] if max_results else items
        return ItemPaged(lambda token: None, lambda _r: (None, iter(items)))

    # ---- submitting ------------------------------------------------------------------------------------
    def validate(self, job: Job, *, raise_on_failure: bool = False, **kwargs: Any) -> Any:
        """As JobOperations.validate: a ValidationResult (.passed, .error_messages) of the SDK's client-side checks
        and, for a pipeline that passes them, of each compute it names; raised with raise_on_failure=True."""
        from azure.ai.ml.entities import PipelineJob
        from azure.core.exceptions import ResourceNotFoundError

        from .prepare import check_compute

        job = kinds.for_entity(job).to_job(job)

        def computes(result: Any) -> None:
            if not isinstance(job, PipelineJob):
                return
            for path, compute in [("compute", job.compute)] + [
                    (f"jobs.{n}.compute", getattr(node, "compute", None)) for n, node in job.jobs.items()]:
                try:
                    check_compute(self._client, compute)
                except ResourceNotFoundError as e:
                    result.append_error(yaml_path=path, message=str(e.message))

        return _sdk.job_validation(job, raise_on_failure=raise_on_failure, more=computes)

    def create_or_update(self, job: Job, *, description: Optional[str] = None, compute: Optional[str] = None,
                         tags: Optional[dict] = None, experiment_name: Optional[str] = None,
                         skip_validation: bool = False, **kwargs: Any) -> Job:
        """Validate, snapshot the code, create the MLflow run and start the job; returns at once (Starting)."""
        if getattr(job, "id", None) and job.name and self._store.get_job(job.name) and compute is None \
                and experiment_name is None:
            return self._update_metadata(job, description=description, tags=tags)
        name = submit(self._client, job, skip_validation=skip_validation, description=description,
                      compute=compute, tags=tags, experiment_name=experiment_name)
        tracking.note_studio_once(self._store)
        return self.get(name)

    def _update_metadata(self, job: Job, *, description: Optional[str], tags: Optional[dict]) -> Job:
        """A job fetched with get() and edited: only display_name/description/tags/properties change (Azure)."""
        row = self._row(job.name)
        props = row["spec"]["properties"]
        props["displayName"] = job.display_name or props.get("displayName")
        props["description"] = description if description is not None else job.description
        props["tags"] = dict(tags if tags is not None else (job.tags or {}))
        props["properties"] = {**props.get("properties", {}), **(job.properties or {})}
        self._store.update_job(job.name, spec=row["spec"])
        return self.get(job.name)

    # ---- following and stopping ----------------------------------------------------------------------------
    def stream(self, name: str) -> None:
        """Print the job's log until it ends, as Azure's stream does; raise JobException if it failed."""
        job = self._entity(self._row(name))
        out = sys.stdout
        out.write(f"RunId: {name}\nWeb View: {job.studio_url}\n")  # Azure's header: the job's name and link only
        out.flush()  # at once: the first log line can be seconds away (the job's process is still starting)
        log = self._store.job_dir(name) / LOG
        header = f"\nStreaming {LOG}\n{'=' * (len(LOG) + 10)}\n\n"
        try:
            follow(log, self._status_lines(name, log, out), out, header)
        except KeyboardInterrupt as e:
            raise _job_exception("The output streaming for the run interrupted.\nBut the run is still executing "
                                 f"on the compute target. \nTo stop it: ml_client.jobs.begin_cancel('{name}').") from e
        row = self._row(name)
        out.write(f"\nExecution Summary\n=================\nRunId: {name}\nWeb View: {job.studio_url}\n")
        if row["status"] == "Failed":
            error = json.loads(row["error"]) if row.get("error") else \
                "Detailed error not set on the Run. Please check the logs for details."
            raise _job_exception("Exception : \n {} ".format(json.dumps({"error": error}, indent=4)),
                                 ErrorCategory.SYSTEM_ERROR)
        out.write("\n")
        out.flush()

    def _status_lines(self, name: str, log: Path, out: Any):
        """stream's is_done(): also prints `Status: <status>` (studio's names) each time the status changes
        while the log is still empty, so a queued or starting job is not silence."""
        shown: list = []

        def is_done() -> bool:
            status = self._row(name)["status"]
            if status in TERMINAL_STATUSES:
                return True
            if status not in shown[-1:] and not (log.exists() and log.stat().st_size):
                out.write(f"Status: {status}\n")
                out.flush()
                shown.append(status)
            return False

        return is_done

    def begin_cancel(self, name: str, **kwargs: Any) -> LocalPoller:
        """Request cancellation (the job's processes get SIGTERM, then SIGKILL); the poller ends when Canceled."""
        row = self._row(name)
        if row["status"] in TERMINAL_STATUSES:
            return completed(None)
        self._store.update_job(name, status="CancelRequested")
        for child in self._store.list_jobs(parent=name):  # a parent's children are canceled with it
            if child["status"] not in TERMINAL_STATUSES:
                self.begin_cancel(child["name"])
        jd = self._store.job_dir(name)
        processes.kill_role(jd, "script", signal.SIGTERM)

        def wait_canceled() -> None:
            deadline = time.monotonic() + 10
            while self._row(name)["status"] not in TERMINAL_STATUSES:
                if time.monotonic() > deadline:  # a script ignoring SIGTERM is stopped for good
                    processes.kill_role(jd, "script", signal.SIGKILL)
                    deadline = time.monotonic() + 30
                time.sleep(0.1)

        return LocalPoller(wait_canceled, background=True)

    # ---- results and housekeeping ------------------------------------------------------------------------
    def download(self, name: str, *, download_path: Union[str, Path] = ".", output_name: Optional[str] = None,
                 all: bool = False) -> None:  # noqa: A002 - Azure's keyword
        """Logs and artifacts to <download_path>/artifacts, named outputs to <download_path>/named-outputs/<n>."""
        row = self._row(name)
        if row["status"] not in TERMINAL_STATUSES:
            raise _job_exception("This job is in state {}. Download is allowed only in states {}".format(
                row["status"], list(TERMINAL_STATUSES)))
        dest = Path(download_path)
        jd = self._store.job_dir(name)
        plan = read_plan(jd)
        outputs = plan.outputs if plan else {}
        if output_name is None or all:
            art = dest / "artifacts"
            if plan and tracking.artifact_dir(plan.artifact_uri).is_dir():
                shutil.copytree(tracking.artifact_dir(plan.artifact_uri), art, dirs_exist_ok=True)
            for logs in ("user_logs", "system_logs"):
                if (jd / logs).is_dir():
                    shutil.copytree(jd / logs, art / logs, dirs_exist_ok=True)
        wanted = list(outputs) if all else ([output_name] if output_name else [])
        for out in wanted:
            src = outputs.get(out)
            if src is None:
                raise not_found("job", f"{name}/outputs/{out}", available=list(outputs),
                                hint="Use one of the job's output names.")
            src = Path(src)
            target = dest / "named-outputs" / out
            if src.is_dir():
                shutil.copytree(src, target, dirs_exist_ok=True)
            elif src.exists():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / src.name)

    def _archive_or_restore(self, name: str, archived: bool) -> None:
        row = self._row(name)
        row["spec"]["properties"]["isArchived"] = archived
        self._store.update_job(name, spec=row["spec"])

    def archive(self, name: str) -> None:
        self._archive_or_restore(name, True)

    def restore(self, name: str) -> None:
        self._archive_or_restore(name, False)
