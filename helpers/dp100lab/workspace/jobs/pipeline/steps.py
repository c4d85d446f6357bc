"""Each step of a pipeline as the child job Azure would run for it, its bindings resolved.

${{parent.inputs.x}} becomes the pipeline's input; ${{parent.jobs.<step>.outputs.<o>}} becomes
azureml://jobs/<that step's child job>/outputs/<o> (a local folder, so the step's ${{inputs.x}} resolves to it);
an output bound to ${{parent.outputs.<p>}} is written where the pipeline's output lives: the default datastore's
azureml/<pipeline job>/<output> path, as Azure templates it ({settings.datastore}/azureml/{job-name}/{output-name}).
Command steps are rebuilt from their registered component; sweep and AutoML nodes and nested pipelines are
submitted as they are, through submit(), which hands them to their own job kinds.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Optional

from azure.ai.ml import Input, Output
from azure.ai.ml.entities import Component, PipelineComponent, PipelineJob

from ... import _sdk
from ...core import uris
from . import graph

DEFAULT_DATASTORE = "workspaceblobstore"
# A component output of a primitive type (an mldesigner function's `-> str` return, a control output): the step's
# job gets a file for it, which the runtime writes the value to (mldesigner's executor does), and a step consuming it
# gets the value, as Azure passes primitive outputs on.
PRIMITIVE = ("string", "integer", "number", "boolean")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)
_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_]+)\s*\}\}")
_DEFAULT_DATASTORE_EXPR = re.compile(r"\$\{\{\s*default_datastore\s*\}\}")


def component_id(node: Any) -> Optional[str]:
    comp = getattr(node, "_component", None)
    if isinstance(comp, str):
        return comp
    return getattr(comp, "id", None) if isinstance(comp, Component) else None


def datastore_of(settings: Any) -> str:
    ds = getattr(settings, "default_datastore", None) if settings is not None else None
    ds = str(ds) if ds else DEFAULT_DATASTORE
    return ds[len("azureml:"):] if ds.startswith("azureml:") else ds.split("/datastores/")[-1]


def output_uri(settings: Any, pipeline: str, output: str) -> str:
    return uris.datastore_uri(datastore_of(settings), f"azureml/{pipeline}/{output}") + "/"


def pipeline_output_uri(job: Any, name: str, output: str) -> str:
    """Where a pipeline job's output lands: the path set on it (by the learner, or by an outer pipeline for a
    nested one), else Azure's default azureml/<pipeline job>/<output> on the default datastore."""
    given = (getattr(job, "outputs", None) or {}).get(output)
    path = getattr(given, "path", None)
    return str(path) if path else output_uri(job.settings, name, output)


def child_type(declared: Optional[str]) -> str:
    """The type a step's child job carries for a port: a component's legacy 'path' port (LegacyAssetTypes.PATH)
    is a file-or-folder location Azure mounts as a folder; a standalone job refuses 'path' on serialization, and a
    primitive output too ('unsupported JobOutput type: string'), so it is a file that holds the value."""
    if declared in PRIMITIVE:
        return "uri_file"
    return "uri_folder" if not declared or declared == "path" else declared


def _declared_type(step: Optional[graph.Step], component: Any, output: str) -> Optional[str]:
    outs = getattr(component, "outputs", None) or {}
    if output in outs:
        return getattr(outs[output], "type", None)
    node_out = (getattr(step.node, "outputs", None) or {}).get(output) if step else None
    return getattr(getattr(node_out, "_data", node_out), "type", None)


def output_type(step: Optional[graph.Step], component: Any, output: str) -> str:
    return child_type(_declared_type(step, component, output))


def primitive_value(store: Any, job: str, output: str) -> Optional[str]:
    """The value a finished step wrote for a primitive output (its file, or the one file in its folder)."""
    path = uris.job_output_folder(store, job, output)
    if path.is_dir():
        files = [f for f in path.iterdir() if f.is_file()]
        path = files[0] if len(files) == 1 else path / output
    return path.read_text().strip() if path.is_file() else None


def _as_child_input(value: Any) -> Any:
    if isinstance(value, Input) and value.type == "path":
        value = copy.deepcopy(value)
        value.type = child_type(value.type)
    return value


class Resolver:
    """Resolves a step's input and output bindings against the running pipeline."""

    def __init__(self, pipeline: PipelineJob, pipeline_name: str, steps: dict, components: dict, children: dict,
                 store: Any = None):
        self.pipeline, self.name, self.steps = pipeline, pipeline_name, steps
        self.components, self.children = components, children  # step -> component entity / child job name
        self.store = store  # to read a finished step's primitive outputs

    def value(self, value: Any) -> Any:
        ref = graph.step_output(value)
        if ref:
            src, out = ref
            if self.store is not None and \
                    _declared_type(self.steps.get(src), self.components.get(src), out) in PRIMITIVE:
                return primitive_value(self.store, self.children[src], out)
            return Input(type=output_type(self.steps.get(src), self.components.get(src), out),
                         path=f"azureml://jobs/{self.children[src]}/outputs/{out}")
        name = graph.parent_input(value)
        if name is not None:
            given = (self.pipeline.inputs or {}).get(name)
            return copy.deepcopy(getattr(given, "_data", given))
        data = getattr(value, "_data", value)
        return copy.deepcopy(data)

    def inputs(self, node: Any) -> dict:
        resolved = {k: _as_child_input(self.value(v)) for k, v in graph.node_inputs(node).items()}
        return {k: v for k, v in resolved.items() if v is not None and v != "None"}

    def outputs(self, step: str, node: Any) -> dict:
        outs = {}
        for key, value in (getattr(node, "outputs", None) or {}).items():
            bound = graph.parent_output(value)
            if bound:
                otype = output_type(self.steps.get(step), self.components.get(step), key)
                outs[key] = Output(type=otype, path=pipeline_output_uri(self.pipeline, self.name, bound))
            else:
                data = getattr(value, "_data", value)
                if isinstance(data, Output) and (data.path or data.type):
                    outs[key] = copy.deepcopy(data)
                    outs[key].type = child_type(data.type)
                    if data.path:  # ${{default_datastore}} is the pipeline's when its settings name one
                        outs[key].path = _DEFAULT_DATASTORE_EXPR.sub(datastore_of(self.pipeline.settings),
                                                                     str(data.path))
        return outs


def bound_compute(value: Any, pipeline: Any) -> Any:
    """A compute given as ${{parent.inputs.<name>}} (a pipeline component's compute parameter) is that input's
    value: the SDK passes the binding through to the service (JobOperations._try_get_compute_arm_id), which
    resolves it when the step runs."""
    name = graph.parent_input(value) if value is not None else None
    if name is None:
        return value
    given = (getattr(pipeline, "inputs", None) or {}).get(name)
    given = getattr(given, "_data", given)
    return given if isinstance(given, str) and given else value


def compute_of(node: Any, pipeline: PipelineJob) -> str:
    comp = bound_compute(getattr(node, "compute", None), pipeline) \
        or getattr(pipeline.settings, "default_compute", None) or getattr(pipeline, "compute", None) or "serverless"
    comp = str(comp)
    return comp.split("/computes/")[-1] if "/computes/" in comp else comp


def with_defaults(given: dict, component: Any) -> dict:
    """Azure's runtime fills an input the step leaves unbound from the component's default."""
    for key, spec in (getattr(component, "inputs", None) or {}).items():
        default = getattr(spec, "default", None)
        if key not in given and default is not None:
            given[key] = default
    return given


def command_child(step: str, node: Any, component: Component, resolver: Resolver) -> Any:
    """The CommandJob of the step, built from its registered component with the bindings resolved."""
    given = with_defaults(resolver.inputs(node), component)
    child = _sdk.node_to_job(component(**given))
    # an optional input left unbound is absent from the step's job, as on Azure (a None literal does not load back)
    child.inputs = {k: v for k, v in (child.inputs or {}).items() if v is not None}
    child.command = optional_blocks(child.command, given)
    child.compute = compute_of(node, resolver.pipeline)
    child.environment = getattr(node, "environment", None) or component.environment  # a node's job carries it
    given = resolver.outputs(step, node)
    child.outputs = {out: given.get(out) or Output(type=child_type(getattr(spec, "type", None)))
                     for out, spec in (component.outputs or {}).items()}  # in a pipeline every output has a place
    for attr in ("environment_variables", "resources", "limits", "distribution", "tags"):
        val = getattr(node, attr, None)
        if val:
            setattr(child, attr, copy.deepcopy(val))
    child.display_name = node.display_name or step
    return child


def optional_blocks(command: Optional[str], given: dict) -> Optional[str]:
    """A step's command with each $[[...]] block kept (brackets removed) when its inputs are bound and dropped when
    not, as Azure's runtime does for a step. Done before the child is submitted because the SDK's command-job check
    only recognises an optional input written bare ($[[--x ${{inputs.x}}]]), and the registry's components quote
    theirs ($[[--model_info '${{inputs.model_info}}']])."""
    if not command:
        return command
    bound = {k for k, v in given.items() if v is not None}
    return _OPTIONAL.sub(lambda m: m.group(1) if set(_INPUT.findall(m.group(1))) <= bound else "", command)


def node_child(step: str, node: Any, component: Optional[Component], resolver: Resolver) -> Any:
    """A sweep or AutoML node, or a nested pipeline, ready for submit() (which picks its job kind)."""
    if isinstance(component, PipelineComponent):
        outputs = {}
        for key, value in (getattr(node, "outputs", None) or {}).items():
            bound = graph.parent_output(value)
            if bound:
                outputs[key] = Output(type="uri_folder", path=pipeline_output_uri(resolver.pipeline, resolver.name,
                                                                                    bound))
        settings = copy.deepcopy(resolver.pipeline.settings)
        child = PipelineJob(component=component, inputs=resolver.inputs(node), outputs=outputs, settings=settings,
                            display_name=node.display_name or step)
        if not getattr(child.settings, "default_compute", None):
            child.settings.default_compute = compute_of(node, resolver.pipeline)
        return child
    if hasattr(node, "_to_job"):  # a sweep node: its inputs/outputs (_AttrDict) cannot be deep-copied; its job can
        if component is not None:
            node._component = component  # the trial: the registered command component
        child = copy.deepcopy(_sdk.node_to_job(node))
    else:
        child = copy.deepcopy(node)
    given = resolver.inputs(node)
    if hasattr(node, "_to_job") and component is not None:  # a sweep's trials: the trial component's defaults too
        given = with_defaults(given, component)
    for key, value in given.items():
        if key in graph.AUTOML_DATA and not hasattr(getattr(child, "inputs", None), key):
            setattr(child, key, value)
        elif isinstance(child.inputs, dict):
            child.inputs[key] = value
        elif child.inputs is not None:
            setattr(child.inputs, key, value)
    for key, value in resolver.outputs(step, node).items():
        if isinstance(child.outputs, dict):
            child.outputs[key] = value
        else:
            setattr(child.outputs, key, value)
    child.compute = compute_of(node, resolver.pipeline)
    child.display_name = node.display_name or step
    child.name = None  # the node's name is the step's; its job gets a generated one, unique across pipeline runs
    return child
