"""The step graph of a pipeline job: which step consumes which output, checked at submission as Azure does.

Bindings are the expressions of the CLI v2 core syntax: ${{parent.inputs.<name>}}, ${{parent.jobs.<step>.outputs.
<output>}} and ${{parent.outputs.<name>}}. A step that consumes an output that does not exist, or a cycle, is a
ValidationException at submission naming the steps; nothing is started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ...core.errors import invalid

_STEP_OUT = re.compile(r"^\$\{\{\s*parent\.jobs\.([\w\-]+)\.outputs\.([\w\-]+)\s*\}\}$")
_PARENT_IN = re.compile(r"^\$\{\{\s*parent\.inputs\.([\w\-.]+)\s*\}\}$")
_PARENT_OUT = re.compile(r"^\$\{\{\s*parent\.outputs\.([\w\-]+)\s*\}\}$")


def binding(value: Any) -> str:
    """The text of an input/output value (a NodeOutput, PipelineInput, '${{...}}' string or literal)."""
    value = getattr(value, "_data", value)
    if value is None:
        return ""
    if hasattr(value, "_data_binding"):
        return value._data_binding()
    path = getattr(value, "path", None) if hasattr(value, "type") else None
    if isinstance(path, str) and path.strip().startswith("${{"):  # a binding given as an Input's path
        return path
    return str(value) if isinstance(value, str) else ""


def step_output(value: Any) -> Optional[tuple[str, str]]:
    m = _STEP_OUT.match(binding(value).strip())
    return (m.group(1), m.group(2)) if m else None


def parent_input(value: Any) -> Optional[str]:
    m = _PARENT_IN.match(binding(value).strip())
    return m.group(1) if m else None


def parent_output(value: Any) -> Optional[str]:
    m = _PARENT_OUT.match(binding(value).strip())
    return m.group(1) if m else None


AUTOML_DATA = ("training_data", "validation_data", "test_data")


@dataclass
class Step:
    name: str
    node: Any
    needs: set = field(default_factory=set)           # steps whose outputs it consumes
    outputs: Optional[set] = None                      # output names its component declares (None: not known)


def node_inputs(node: Any) -> dict:
    """A node's inputs, AutoML's data inputs included (they are attributes there, not .inputs)."""
    from ... import _sdk

    found = dict(getattr(node, "inputs", None) or {})
    if isinstance(node, _sdk.AutoMLJob):
        for attr in AUTOML_DATA:
            if getattr(node, attr, None) is not None:
                found[attr] = getattr(node, attr)
    return found


def declared_outputs(node: Any, component: Any) -> Optional[set]:
    if component is not None and getattr(component, "outputs", None) is not None:
        return set(component.outputs)
    outs = getattr(node, "outputs", None)
    return set(outs) if outs else None


def build(jobs: dict, component_of: Any) -> dict[str, Step]:
    """Steps of a pipeline's `jobs`, with their dependencies; `component_of(node)` gives a node's component."""
    steps = {name: Step(name, node, outputs=declared_outputs(node, component_of(node))) for name, node in jobs.items()}
    for step in steps.values():
        for key, value in node_inputs(step.node).items():
            ref = step_output(value)
            if ref is None:
                continue
            src, out = ref
            if src not in steps:
                raise invalid(f"Step '{step.name}' input '{key}' consumes ${{{{parent.jobs.{src}.outputs.{out}}}}}, "
                              f"but the pipeline has no step '{src}' (its steps: {', '.join(steps)}). Fix the step "
                              f"name in the binding.", kind="job")
            have = steps[src].outputs
            if have is not None and out not in have:
                raise invalid(f"Step '{step.name}' input '{key}' consumes output '{out}' of step '{src}', which does "
                              f"not exist (step '{src}' has outputs: {', '.join(sorted(have)) or 'none'}). Use one of "
                              f"them, or add '{out}' to that component's outputs.", kind="job")
            step.needs.add(src)
    order(steps)  # refuses a cycle
    return steps


def order(steps: dict[str, Step]) -> list[str]:
    """A dependency order (Kahn's algorithm); a cycle is refused naming the steps on it."""
    waiting = {n: set(s.needs) for n, s in steps.items()}
    done: list[str] = []
    while waiting:
        ready = sorted(n for n, needs in waiting.items() if not needs - set(done))
        if not ready:
            cycle = _cycle(waiting)
            raise invalid(f"The pipeline's steps form a cycle: {' -> '.join(cycle)}. A pipeline is a directed "
                          f"acyclic graph: make one of these steps consume a pipeline input or another step's "
                          f"output instead.", kind="job")
        for n in ready:
            done.append(n)
            del waiting[n]
    return done


def _cycle(waiting: dict[str, set]) -> list[str]:
    start = sorted(waiting)[0]
    path, node = [start], start
    while True:
        node = sorted(waiting[node] & set(waiting))[0]
        if node in path:
            return path[path.index(node):] + [node]
        path.append(node)
