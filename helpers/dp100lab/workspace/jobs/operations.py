"""ml_client.jobs for the local workspace: command jobs run as local processes, with Azure's API and entities.

Jobs are stored in the SDK's REST form (entity._to_rest_object().as_dict()) and rebuilt with
Job._from_rest_object, the same path azure-ai-ml takes for a job fetched from Azure: get() and create_or_update()
return the same entity type (a Command), literal inputs come back as strings, and status, studio_url and
creation_context are filled in as the service fills them.
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

from azure.ai.ml._restclient.arm_ml_service.models import JobBase
from azure.ai.ml.constants._common import DEFAULT_EXPERIMENT_NAME
from azure.ai.ml.entities import CommandJob, Job
from azure.ai.ml.entities._builders import BaseNode
from azure.ai.ml.entities._builders.command import Command
from azure.ai.ml.entities._job.job_name_generator import generate_job_name
from azure.ai.ml.exceptions import ErrorCategory, ErrorTarget, JobException
from azure.core.exceptions import ResourceExistsError
from azure.core.paging import ItemPaged

from . import plan as job_plan
from ..core import tracking as mlflow_env
from . import recovery
from . import runner
from ..core import uris
from ..core.errors import invalid, not_found, not_yet
from ..core.poller import LocalPoller, completed
from ..core.store import TERMINAL_STATUSES

_POLL_S = 0.25
_ARM = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/jobs/{n}"
# job kinds a later module of the course runs locally (README's module map)
_LATER = {"SweepJob": ("07", "sweep job", "run the trials of the sweep on the compute and pick the best"),
          "Sweep": ("07", "sweep job", "run the trials of the sweep on the compute and pick the best"),
          "AutoMLJob": ("06", "AutoML job", "train and compare models automatically on the compute"),
          "PipelineJob": ("08", "pipeline job", "run the pipeline's steps as child jobs"),
          "Pipeline": ("08", "pipeline job", "run the pipeline's steps as child jobs")}


def _job_output_resolver(store: Any, job: str, output: str) -> Optional[Path]:
    """For uris.py: an output written to a datastore path lives there, not under jobs/<job>/outputs/."""
    try:
        plan = json.loads((store.job_dir(job) / runner.PLAN).read_text())
    except (OSError, ValueError):
        return None
    found = plan.get("outputs", {}).get(output)  # "artifacts" is the run's: uris resolves it through run_id
    return Path(found) if found else None


uris.register_job_output_resolver(_job_output_resolver)


def job_output_path(store: Any, job_name: str, output_name: str = "artifacts", path: str = "") -> Path:
    """Local path of azureml://jobs/<job>/outputs/<output>/paths/<path> ("artifacts" = the MLflow run's)."""
    return uris.job_output_folder(store, job_name, output_name) / path


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
            url = mlflow_env.studio_url(local["experiment_id"], row["run_id"])
            spec["properties"]["services"] = {"Studio": {"endpoint": url, "jobServiceType": "Studio"}}
        spec["systemData"] = {"createdBy": local.get("created_by", "local user"), "createdByType": "User",
                              "createdAt": row["created_at"], "lastModifiedAt": row["updated_at"]}
        return Job._from_rest_object(JobBase(spec))

    def get(self, name: str) -> Job:
        """The job with its current status. ResourceNotFoundError when there is none, as on Azure."""
        return self._entity(self._row(name))

    def list(self, *, parent_job_name: Optional[str] = None, list_view_type: Any = "ActiveOnly",
             **kwargs: Any) -> Iterable[Job]:
        """Jobs newest first; archived ones only with list_view_type=ListViewType.ARCHIVED_ONLY / ALL."""
        if parent_job_name:
            self._row(parent_job_name)
        view = str(getattr(list_view_type, "value", list_view_type)).lower()
        rows = [recovery.check(self._store, r) for r in self._store.list_jobs(parent=parent_job_name)]
        rows = [r for r in rows if r["parent"] == parent_job_name or parent_job_name is None]
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
    @staticmethod
    def _command_job(job: Any) -> CommandJob:
        kind = type(job).__name__
        if kind in _LATER:
            module, what, azure_would = _LATER[kind]
            raise not_yet(module, f"Submitting a {what} to ml_client.jobs", azure_would)
        if isinstance(job, BaseNode) and isinstance(job, Command):
            cj = job._to_job()
            cj._base_path = job.base_path  # _to_job() resets it to cwd; a load_job YAML's paths are relative to it
            return cj
        if isinstance(job, CommandJob):
            return job
        raise invalid(f"ml_client.jobs.create_or_update got a {kind}; the local workspace runs command jobs "
                      f"(azure.ai.ml.command(...) or a YAML with type: command loaded by load_job).", kind="job")

    def validate(self, job: Job, *, raise_on_failure: bool = False, **kwargs: Any) -> Optional[Exception]:
        """The SDK's client-side checks of a command job; the error is raised or (raise_on_failure=False) returned."""
        try:
            self._command_job(job)._validate()
        except Exception as e:
            if raise_on_failure:
                raise
            return e
        return None

    def create_or_update(self, job: Job, *, description: Optional[str] = None, compute: Optional[str] = None,
                         tags: Optional[dict] = None, experiment_name: Optional[str] = None,
                         skip_validation: bool = False, **kwargs: Any) -> Job:
        """Validate, snapshot the code, create the MLflow run and start the job; returns at once (Starting)."""
        if getattr(job, "id", None) and job.name and self._store.get_job(job.name) and compute is None \
                and experiment_name is None:
            return self._update_metadata(job, description=description, tags=tags)
        cj = copy.deepcopy(self._command_job(job))  # like the SDK, leave the caller's object as it was
        for attr, val in (("description", description), ("compute", compute), ("tags", tags),
                          ("experiment_name", experiment_name)):
            if val is not None:
                setattr(cj, attr, val)
        if not skip_validation:
            cj._validate()  # the SDK's own checks: command and environment required, ${{inputs.x}} defined
        name = cj.name or generate_job_name()
        if self._store.get_job(name):
            raise ResourceExistsError(message=f"Job '{name}' already exists; job names are unique in a workspace. "
                                              f"Leave name unset to get a generated one, or choose another.")
        # Azure's defaults (azure.ai.ml.entities._job.to_rest_functions.generate_defaults)
        cj.name = name
        cj.display_name = cj.display_name or name
        cj.experiment_name = cj.experiment_name or Path("./").resolve().stem.replace(" ", "") \
            or DEFAULT_EXPERIMENT_NAME
        compute_name = job_plan.check_compute(self._client, cj.compute)
        env_entity = job_plan.check_environment(self._client, cj.environment)
        inputs = job_plan.resolve_inputs(self._client, cj)
        jd = self._store.job_dir(name)
        try:
            outputs = job_plan.resolve_outputs(self._store, name, cj)
            command = job_plan.render_command(cj.command, inputs, outputs)
            wd = jd / "wd"
            code_src = job_plan.snapshot_code(cj, wd)
        except BaseException:
            shutil.rmtree(jd, ignore_errors=True)  # nothing was submitted: leave no half-made job folder
            raise
        job_plan.warn_packages(self._client, env_entity)
        job_plan.note_unenforced(cj)
        exp_id, run_id, artifact_uri = mlflow_env.create_job_run(self._store, cj.experiment_name, name,
                                                                 cj.display_name, cj.tags)
        if code_src is not None:
            cj.code = str(wd)  # the job keeps pointing at its snapshot, as Azure points at the uploaded code
        rest = cj._to_rest_object()
        rest.name = name
        rest.id = _ARM.format(sub=self._client.subscription_id, rg=self._client.resource_group_name,
                              ws=self._client.workspace_name, n=name)
        spec = json.loads(json.dumps(rest.as_dict(), default=str))
        spec["_local"] = {"experiment_id": exp_id, "created_by": mlflow_env._user()}
        self._store.put_job(name, spec, status="Starting", type="command", experiment=cj.experiment_name,
                            run_id=run_id, compute=compute_name)
        plan = {"name": name, "command": command, "argv": job_plan.shell_argv(command), "cwd": str(wd),
                "log": str(jd / runner.LOG), "outputs": outputs, "run_id": run_id, "experiment_id": exp_id,
                "artifact_uri": artifact_uri,
                "env": job_plan.job_env(self._store, cj, name, exp_id, cj.experiment_name, run_id)}
        try:
            pid = runner.launch(self._store, name, plan)
        except BaseException as e:
            self._store.update_job(name, status="Failed", error=json.dumps(
                {"code": "SystemError", "message": f"Could not start the job's process: {e!r}"}))
            mlflow_env.finish_run(self._store, run_id, "Failed")
            raise
        self._store.update_job(name, pid=pid)
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
        row = self._row(name)
        job = self._entity(row)
        out = sys.stdout
        out.write(f"RunId: {name}\nWeb View: {job.studio_url}\n")
        log = self._store.job_dir(name) / runner.LOG
        printed = 0
        try:
            while True:
                row = self._row(name)
                done = row["status"] in TERMINAL_STATUSES
                printed = self._print_new(log, printed, out)
                if done:
                    break
                out.flush()
                time.sleep(_POLL_S)
        except KeyboardInterrupt as e:
            msg = ("The output streaming for the run interrupted.\nBut the run is still executing on the compute "
                   f"target. \nTo stop it: ml_client.jobs.begin_cancel('{name}').")
            raise JobException(message=msg, target=ErrorTarget.JOB, no_personal_data_message=msg,
                               error_category=ErrorCategory.USER_ERROR) from e
        out.write(f"\nExecution Summary\n=================\nRunId: {name}\nWeb View: {job.studio_url}\n")
        if row["status"] == "Failed":
            error = json.loads(row["error"]) if row.get("error") else \
                "Detailed error not set on the Run. Please check the logs for details."
            raise JobException(message="Exception : \n {} ".format(json.dumps({"error": error}, indent=4)),
                               target=ErrorTarget.JOB, no_personal_data_message="Exception raised on failed job.",
                               error_category=ErrorCategory.SYSTEM_ERROR)
        out.write("\n")
        out.flush()

    @staticmethod
    def _print_new(log: Path, printed: int, out: Any) -> int:
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            return printed
        if lines and printed == 0:
            out.write(f"\nStreaming {runner.LOG}\n{'=' * (len(runner.LOG) + 10)}\n\n")
        for line in lines[printed:]:
            out.write(line + "\n")
        return max(printed, len(lines))

    def begin_cancel(self, name: str, **kwargs: Any) -> LocalPoller:
        """Request cancellation (the job's processes get SIGTERM, then SIGKILL); the poller ends when Canceled."""
        row = self._row(name)
        if row["status"] in TERMINAL_STATUSES:
            return completed(None)
        self._store.update_job(name, status="CancelRequested")
        jd = self._store.job_dir(name)
        runner.kill_group(jd, "script", signal.SIGTERM)

        def wait_canceled() -> None:
            deadline = time.monotonic() + 10
            while self._row(name)["status"] not in TERMINAL_STATUSES:
                if time.monotonic() > deadline:  # a script ignoring SIGTERM is stopped for good
                    runner.kill_group(jd, "script", signal.SIGKILL)
                    deadline = time.monotonic() + 30
                time.sleep(0.1)

        return LocalPoller(wait_canceled, background=True)

    # ---- results and housekeeping ------------------------------------------------------------------------
    def download(self, name: str, *, download_path: Union[str, Path] = ".", output_name: Optional[str] = None,
                 all: bool = False) -> None:  # noqa: A002 - Azure's keyword
        """Logs and artifacts to <download_path>/artifacts, named outputs to <download_path>/named-outputs/<n>."""
        row = self._row(name)
        if row["status"] not in TERMINAL_STATUSES:
            msg = "This job is in state {}. Download is allowed only in states {}".format(
                row["status"], list(TERMINAL_STATUSES))
            raise JobException(message=msg, target=ErrorTarget.JOB, no_personal_data_message=msg,
                               error_category=ErrorCategory.USER_ERROR)
        dest = Path(download_path)
        jd = self._store.job_dir(name)
        try:
            plan = json.loads((jd / runner.PLAN).read_text())
        except (OSError, ValueError):
            plan = {"outputs": {}}
        if output_name is None or all:
            art = dest / "artifacts"
            if plan.get("artifact_uri") and mlflow_env.artifact_dir(plan["artifact_uri"]).is_dir():
                shutil.copytree(mlflow_env.artifact_dir(plan["artifact_uri"]), art, dirs_exist_ok=True)
            for logs in ("user_logs", "system_logs"):
                if (jd / logs).is_dir():
                    shutil.copytree(jd / logs, art / logs, dirs_exist_ok=True)
        wanted = list(plan.get("outputs", {})) if all else ([output_name] if output_name else [])
        for out in wanted:
            src = plan.get("outputs", {}).get(out)
            if src is None:
                raise not_found("job", f"{name}/outputs/{out}", available=list(plan.get("outputs", {})),
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
