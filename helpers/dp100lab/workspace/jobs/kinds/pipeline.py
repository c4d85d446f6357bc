"""Pipeline jobs (@dsl.pipeline or `type: pipeline` YAML): each step a child job, in dependency order.

At submission, as Azure: the SDK's pipeline validation (compute set for every step, bindings), inline components
registered anonymously, the step graph checked (a consumed output that does not exist, or a cycle, is refused),
computes and the default datastore checked, local inputs made absolute. In the runner: steps start when the
steps they consume have Completed, at most MAX_CONCURRENT at once; an unchanged step is reused (jobs/pipeline/
reuse.py); a failed step fails the pipeline. settings.continue_on_step_failure (default True in the current
pipeline YAML reference) lets steps that do not depend on the failed one run on; False cancels the running steps.

Reuse is settled at submission (submitted()), in the submitting process, which has the SDK and MLflow loaded:
the steps that are unchanged, in dependency order, are recorded as reused children there, as Azure's service
decides reuse without starting anything. When every step is settled the runner only closes the pipeline, without
importing azure.ai.ml or MLflow (seconds of CPU in a fresh process: most of an unchanged re-submission's time).
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Any, Optional

from ...core.store import TERMINAL_STATUSES, now
from ..recovery import check as check_alive

# The SDK and the submission helpers are imported inside the functions that use them: run() of a pipeline whose
# steps were all settled at submission needs none of them.
KIND = "pipeline"
MAX_CONCURRENT = 2  # steps running at once: the machine has 2 cores (Azure runs as many as computes allow)
_POLL_S = 0.2
SETTLED = "settled.json"  # <job>/settled.json: {"steps": [every step], "children": {step: reused child job}}


def to_job(entity: Any) -> Any:
    """A shallow copy: a PipelineJob's nodes cannot be deep-copied (the SDK's InputsAttrDict). Like Azure's
    create_or_update, submission resolves the nodes' components in place; name and settings stay the caller's."""
    _refuse_control_flow(entity)
    job = copy.copy(entity)
    job.settings = copy.copy(entity.settings)
    return job


def _refuse_control_flow(job: Any) -> None:
    """Control-flow nodes (if_else, do_while, parallel_for: ControlFlowType in the SDK) are evaluated by Azure's
    pipeline service while the pipeline runs; the local runner does not evaluate them. Refused at submission in
    one line, before the SDK's schema dump, which fails on them with internal errors."""
    from ... import _sdk

    for step, node in (getattr(job, "jobs", None) or {}).items():
        if isinstance(node, _sdk.ControlFlowNode):
            raise NotImplementedError(
                f"Pipeline step '{step}' is a control-flow node ({node.type}: dsl.condition, do_while or "
                f"parallel_for), which the local workspace does not run; on Azure the pipeline service evaluates "
                f"it while the pipeline runs. Submit this pipeline to a real workspace (DP100LAB_BACKEND=azure), "
                f"or choose the branch in Python before building the pipeline.")


def _component_of(client: Any, node: Any) -> Optional[Any]:
    from azure.ai.ml.entities import Component

    comp = getattr(node, "_component", None)
    if isinstance(comp, Component):
        return comp
    if isinstance(comp, str) and comp.startswith("azureml://registries/"):  # a registry's, e.g. the RAI steps
        from ...registry import resolve

        return resolve(comp)
    if isinstance(comp, str) and comp:
        return client.components.get_by_id(comp)
    return None


def prepare(client: Any, job: Any, name: str, job_dir: Path) -> Any:
    from azure.ai.ml.entities import Component

    from ... import _sdk
    from ...core import uris
    from .. import prepare as resolve
    from ..pipeline import graph, steps as build
    from ..submit import Prepared

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
        compute = build.bound_compute(getattr(node, "compute", None), job)
        if compute and not graph.parent_input(compute):  # a binding left unresolved is the outer pipeline's
            resolve.check_compute(client, compute)
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

    from ...core import uris
    from ...core.errors import invalid

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

    def __init__(self, store: Any, plan: Any, client: Any = None):
        from ... import _sdk
        from ...client import LocalMLClient
        from ..pipeline import graph, steps as build

        self.store, self.plan = store, plan
        self.client = client or LocalMLClient(store.root, hold=False, set_mlflow=False)
        spec = copy.deepcopy(store.get_job(plan.name)["spec"])
        spec.pop("_local", None)
        self.pipeline = _sdk.job_from_rest_dict(spec)
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
        self.resolver = build.Resolver(self.pipeline, plan.name, self.steps, self.components, self.children,
                                       store=store)
        for step, child in _settled(store.job_dir(plan.name)).get("children", {}).items():
            self.children[step], self.status[step] = child, "Completed"  # reused, recorded at submission

    def log(self, text: str) -> None:
        path = Path(self.plan.log)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write(f"[{now()[11:19]}] {text}\n")

    # ---- one step ------------------------------------------------------------------------------------
    def reusable(self, step: str) -> Optional[tuple]:
        """(child job, reuse key, earlier job) of a command step: key and earlier job are None under force_rerun or
        is_deterministic=False, the earlier job is None when no identical step Completed before. None for a step
        that is not a command step (a sweep or AutoML node, a nested pipeline: never reused)."""
        from azure.ai.ml.entities import CommandComponent

        from ... import _sdk
        from ..pipeline import reuse, steps as build

        node, comp = self.steps[step].node, self.components[step]
        if not (isinstance(comp, CommandComponent) and getattr(node, "type", "") == "command"):
            return None
        child = build.command_child(step, node, comp, self.resolver)
        if self.force_rerun or comp.is_deterministic is False:
            return child, None, None
        key = reuse.key(self.store, str(comp.id), _sdk.entity_to_dict(comp), self.resolver.inputs(node),
                        self.resolver.outputs(step, node))
        return child, key, reuse.find(self.store, key)

    def settle(self) -> None:
        """At submission: record every step that is unchanged and whose inputs come from settled steps as reused,
        in dependency order; <job>/settled.json tells the runner which. The rest is the runner's."""
        from ..pipeline import graph

        if self.force_rerun:
            return
        order = graph.order(self.steps)
        _write_settled(self.store.job_dir(self.plan.name), order, {})
        for step in order:
            if not self.ready(step):
                continue
            found = self.reusable(step)
            if not found or not found[2]:
                continue
            child, key, earlier = found
            self.reused(step, child, earlier, key)
            _write_settled(self.store.job_dir(self.plan.name), order, dict(self.children))

    def launch(self, step: str) -> None:
        from ..pipeline import steps as build
        from ..submit import submit

        node, comp = self.steps[step].node, self.components[step]
        try:
            found = self.reusable(step)
            if found is not None:
                child, key, earlier = found
                if key is not None:
                    self.keys[step] = key
                    if earlier:
                        self.reused(step, child, earlier, key)
                        return
                    child.properties = {**(child.properties or {}), "dp100lab.reusekey": key}
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
        from ..pipeline import graph, reuse

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
        from ..pipeline import reuse

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
        from ..pipeline import graph

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


def _settled(job_dir: Path) -> dict:
    try:
        return json.loads((job_dir / SETTLED).read_text())
    except (OSError, ValueError):
        return {}


def _write_settled(job_dir: Path, steps: list, children: dict) -> None:
    tmp = job_dir / (SETTLED + ".tmp")
    tmp.write_text(json.dumps({"steps": list(steps), "children": children}))
    os.replace(tmp, job_dir / SETTLED)  # the runner never reads half of it


def submitted(client: Any, plan: Any) -> None:
    """After the pipeline is recorded, before its runner starts: settle the reused steps (see the module doc). A
    step that cannot be settled here (or any error) is left to the runner, which decides it the same way."""
    try:
        _Run(client.store, plan, client=client).settle()
    except Exception as e:  # settling is an optimisation; the runner decides what is not settled
        Path(plan.log).parent.mkdir(parents=True, exist_ok=True)
        with open(plan.log, "a") as f:
            f.write(f"[{now()[11:19]}] reuse not settled at submission ({type(e).__name__}: {e}); the runner "
                    f"decides it\n")


def run(store: Any, plan: Any) -> tuple[str, Optional[dict]]:
    settled = _settled(store.job_dir(plan.name))
    steps, children = settled.get("steps"), settled.get("children", {})
    if steps and set(steps) <= set(children):  # every step reused at submission: nothing to run
        if store.get_job(plan.name)["status"] == "CancelRequested":
            return "Canceled", None
        with open(plan.log, "a") as f:
            f.write(f"[{now()[11:19]}] pipeline {plan.name}: all {len(steps)} steps reused (unchanged), "
                    f"nothing to run\n")
        return "Completed", None
    return _Run(store, plan).run()
