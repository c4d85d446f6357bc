"""Pipeline jobs (@dsl.pipeline or `type: pipeline` YAML): each step a child job, in dependency order.

At submission, as Azure: the SDK's pipeline validation (compute set for every step, bindings), inline components
registered anonymously, the step graph checked (a consumed output that does not exist, or a cycle, is refused),
computes and the default datastore checked, local inputs made absolute. In the runner: steps start when the
steps they consume have Completed, at most MAX_CONCURRENT at once; an unchanged step is reused (jobs/pipeline/
reuse.py); a failed step fails the pipeline. settings.continue_on_step_failure (default True in the current
pipeline YAML reference) lets steps that do not depend on the failed one run on; False cancels the running steps.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any, Optional

from azure.ai.ml.entities import CommandComponent, Component, PipelineComponent, PipelineJob

from ... import _sdk
from ...core import uris
from ...core.errors import invalid
from ...core.store import TERMINAL_STATUSES, now
from .. import prepare as resolve
from ..pipeline import graph, reuse, steps as build
from ..recovery import check as check_alive
from ..submit import Prepared, submit

KIND = "pipeline"
MAX_CONCURRENT = 2  # steps running at once: the machine has 2 cores (Azure runs as many as computes allow)
_POLL_S = 0.2


def to_job(entity: Any) -> PipelineJob:
    """A shallow copy: a PipelineJob's nodes cannot be deep-copied (the SDK's InputsAttrDict). Like Azure's
    create_or_update, submission resolves the nodes' components in place; name and settings stay the caller's."""
    job = copy.copy(entity)
    job.settings = copy.copy(entity.settings)
    return job


def _component_of(client: Any, node: Any) -> Optional[Component]:
    comp = getattr(node, "_component", None)
    if isinstance(comp, Component):
        return comp
    if isinstance(comp, str) and comp.startswith("azureml://registries/"):  # a registry's, e.g. the RAI steps
        from ...registry import resolve

        return resolve(comp)
    if isinstance(comp, str) and comp:
        return client.components.get_by_id(comp)
    return None


def prepare(client: Any, job: PipelineJob, name: str, job_dir: Path) -> Prepared:
    _sdk.validate_pipeline(job)  # the SDK's own checks, raising as JobOperations.create_or_update does
    for node in (job.jobs or {}).values():  # inline components are registered (anonymously), as on Azure
        comp = getattr(node, "_component", None)
        if isinstance(comp, Component):
            node._component = client.components.register_anonymous(comp)
        elif isinstance(comp, str) and comp and "/components/" not in comp:
            node._component = client.components.get_by_id(comp).id  # azureml:name:version must exist
    graph.build(job.jobs or {}, lambda n: _component_of(client, n))
    settings = job.settings
    default = resolve.check_compute(client, getattr(settings, "default_compute", None) or job.compute)
    for node in (job.jobs or {}).values():
        if getattr(node, "compute", None):
            resolve.check_compute(client, node.compute)
    uris.datastore_folder(client.store, build.datastore_of(settings))  # the default datastore must exist
    resolve.resolve_inputs(client, job)  # local paths exist and are recorded absolute
    for step, node in (job.jobs or {}).items():  # a step's own local files too, as the SDK uploads them
        _absolute_step_inputs(step, node, resolve.base_path(job))
    outputs = {}
    for out in (job.outputs or {}):
        folder = uris.resolve_path(client.store, build.pipeline_output_uri(job, name, out), must_exist=False)
        folder.mkdir(parents=True, exist_ok=True)
        outputs[out] = str(folder)
    return Prepared(compute=default, outputs=outputs)


def _absolute_step_inputs(step: str, node: Any, base: Path) -> None:
    """A step input given as a local file or folder (the docs' score card: pdf_generation_config ./pdf_gen.json)
    must exist at submission and is recorded absolute: the step runs later, from another folder."""
    from azure.ai.ml import Input

    for key, value in (getattr(node, "inputs", None) or {}).items():
        data = getattr(value, "_data", value)
        path = getattr(data, "path", None) if isinstance(data, Input) else None
        if not isinstance(path, str) or path.strip().startswith("${{") or "@" in path \
                or (":" in path and not path.startswith("file:")):
            continue  # an asset, a URI or a binding: resolved where it is used
        local = uris.strip_file_scheme(path).expanduser()
        local = local if local.is_absolute() else (base / local).resolve()
        if not local.exists():
            raise invalid(f"Step '{step}' input '{key}' path '{path}' does not exist on this machine (looked for "
                          f"{local}). Check the spelling and the current folder, or use a registered data asset "
                          f"(azureml:<name>:<version>).", kind="job")
        data.path = str(local)


class _Run:
    """The pipeline's steps while it runs (inside the runner process)."""

    def __init__(self, store: Any, plan: Any):
        from ...client import LocalMLClient

        self.store, self.plan = store, plan
        self.client = LocalMLClient(store.root, hold=False, set_mlflow=False)
        spec = copy.deepcopy(store.get_job(plan.name)["spec"])
        spec.pop("_local", None)
        self.pipeline: PipelineJob = _sdk.job_from_rest_dict(spec)
        jobs = self.pipeline.jobs or {}
        self.components = {s: _component_of(self.client, n) for s, n in jobs.items()}
        self.steps = graph.build(jobs, lambda n: self.components[n.name] if n.name in self.components else None)
        settings = self.pipeline.settings
        self.force_rerun = bool(getattr(settings, "force_rerun", None))
        cont = getattr(settings, "continue_on_step_failure", None)
        self.keep_going = True if cont is None else bool(cont)
        self.children: dict[str, str] = {}      # step -> child job name
        self.status: dict[str, str] = {}        # step -> Completed / Failed / Canceled / Skipped / Running
        self.keys: dict[str, str] = {}          # step -> reuse key (command steps)
        self.errors: dict[str, str] = {}
        self.resolver = build.Resolver(self.pipeline, plan.name, self.steps, self.components, self.children)

    def log(self, text: str) -> None:
        path = Path(self.plan.log)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write(f"[{now()[11:19]}] {text}\n")

    # ---- one step ------------------------------------------------------------------------------------
    def launch(self, step: str) -> None:
        node, comp = self.steps[step].node, self.components[step]
        try:
            if isinstance(comp, CommandComponent) and getattr(node, "type", "") == "command":
                child = build.command_child(step, node, comp, self.resolver)
                if not self.force_rerun and comp.is_deterministic is not False:
                    key = reuse.key(self.store, str(comp.id), _sdk.entity_to_dict(comp),
                                    self.resolver.inputs(node), self.resolver.outputs(step, node))
                    self.keys[step] = key
                    earlier = reuse.find(self.store, key)
                    if earlier:
                        self.reused(step, child, earlier, key)
                        return
                    child.properties = {**(child.properties or {}), "dp100lab.reusekey": key}
                name = submit(self.client, child, parent=self.plan.name)
            else:
                child = build.node_child(step, node, comp, self.resolver)
                name = submit(self.client, child, parent=self.plan.name)
        except Exception as e:  # the step could not start: it failed, with the reason
            self.status[step] = "Failed"
            self.errors[step] = f"{type(e).__name__}: {e}"
            self.log(f"step {step}: could not start: {e}")
            return
        self.children[step] = name
        self.status[step] = "Running"
        self.log(f"step {step}: started as job {name}")

    def reused(self, step: str, child: Any, earlier: str, key: str) -> None:
        name = reuse.record_reused(self.client, child, self.plan.name, earlier, key)
        self.children[step] = name
        self.status[step] = "Completed"
        src = self.store.job_dir(earlier)
        from ..plan import read_plan

        earlier_outputs = read_plan(src).outputs
        for out, value in self.resolver.outputs(step, self.steps[step].node).items():
            bound = graph.parent_output((self.steps[step].node.outputs or {}).get(out))
            if bound and out in earlier_outputs and bound in self.plan.outputs:
                reuse.fill_folder(earlier_outputs[out], self.plan.outputs[bound])
        self.log(f"step {step}: reused job {earlier} (unchanged), recorded as job {name}")

    def poll(self, step: str) -> None:
        row = check_alive(self.store, self.store.get_job(self.children[step]))
        if row is None or row["status"] not in TERMINAL_STATUSES:
            return
        self.status[step] = row["status"]
        if row["status"] == "Completed" and step in self.keys:
            reuse.remember(self.store, self.keys[step], row["name"])
        elif row["status"] != "Completed":
            err = json.loads(row["error"]).get("message", "") if row.get("error") else ""
            self.errors[step] = err
        self.log(f"step {step}: {row['status']} (job {row['name']})")

    # ---- the whole graph -----------------------------------------------------------------------------
    def blocked(self, step: str) -> bool:
        return any(self.status.get(n) in ("Failed", "Canceled", "Skipped") for n in self.steps[step].needs)

    def ready(self, step: str) -> bool:
        return all(self.status.get(n) == "Completed" for n in self.steps[step].needs)

    def cancel_running(self) -> None:
        for step, st in self.status.items():
            if st == "Running":
                self.client.jobs.begin_cancel(self.children[step])

    def run(self) -> tuple[str, Optional[dict]]:
        order = graph.order(self.steps)
        self.log(f"pipeline {self.plan.name}: {len(order)} steps, at most {MAX_CONCURRENT} at once"
                 + (", force_rerun" if self.force_rerun else ""))
        stopping = False
        while True:
            if self.store.get_job(self.plan.name)["status"] == "CancelRequested" and not stopping:
                stopping = True
                self.cancel_running()
            for step in [s for s, st in self.status.items() if st == "Running"]:
                self.poll(step)
            failed = [s for s, st in self.status.items() if st in ("Failed", "Canceled")]
            if failed and not self.keep_going and not stopping:
                stopping = True
                self.cancel_running()
            running = [s for s, st in self.status.items() if st == "Running"]
            for step in order:
                if step in self.status:
                    continue
                if stopping or self.blocked(step):
                    self.status[step] = "Skipped"
                    self.log(f"step {step}: not run ({'pipeline stopping' if stopping else 'an input step failed'})")
                elif self.ready(step) and len(running) < MAX_CONCURRENT:
                    self.launch(step)
                    if self.status.get(step) == "Running":
                        running.append(step)
            if not running and all(s in self.status for s in order):
                break
            time.sleep(_POLL_S)
        return self.result()

    def result(self) -> tuple[str, Optional[dict]]:
        if self.store.get_job(self.plan.name)["status"] == "CancelRequested":
            return "Canceled", None
        failed = [s for s in self.steps if self.status.get(s) in ("Failed", "Canceled")]
        if not failed:
            return "Completed", None
        parts = [f"step '{s}'" + (f" (job {self.children[s]})" if s in self.children else "") + ": "
                 + (self.errors.get(s) or self.status[s]) for s in failed]
        return "Failed", {"code": "UserError", "message": (
            f"The pipeline failed because {len(failed)} step(s) failed. " + " | ".join(parts)
            + " Open the failed step with ml_client.jobs.get(<job>) and its user_logs/std_log.txt, fix it, and "
              "submit the pipeline again (unchanged steps are reused).")}


def run(store: Any, plan: Any) -> tuple[str, Optional[dict]]:
    import threading

    # the runner warms MLflow's import in a thread; this kind uses MLflow in-process at once (child runs), and two
    # threads importing mlflow together can see it half-initialised: let that import finish first
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(timeout=120)
    return _Run(store, plan).run()
