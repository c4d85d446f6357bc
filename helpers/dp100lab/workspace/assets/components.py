"""ml_client.components for the local workspace: versioned components, as azure.ai.ml's ComponentOperations.

create_or_update takes a Component (load_component(...), CommandComponent(...), a @dsl.pipeline's component) or
an mldesigner @command_component function, as the SDK does. Its code folder is snapshotted into the store the way
Azure uploads it (later edits do not change a registered version) and content-addressed, so the snapshot's hash is
part of what makes a step reusable. Versions are immutable: the same version with different content is refused;
without a version the next integer is used (the SDK's auto-increment). get() with neither version nor label means
label "latest", as the SDK's _get. Pipelines register their inline components anonymously (name
"azureml_anonymous", version = content hash), the way Azure stores them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import types
from pathlib import Path
from typing import Any, Iterable, Optional

from azure.ai.ml.constants import ListViewType
from azure.ai.ml.entities import Component, PipelineComponent

from .. import _sdk
from ..core.errors import already_exists, invalid
from ..core.specs import arm_id, check_loads, to_spec
from ..core.store import VersionConflict
from .versioned import VersionedAssetOperations

KIND = "component"
ANONYMOUS = "azureml_anonymous"  # azure.ai.ml.constants._common.ANONYMOUS_COMPONENT_NAME
_VOLATILE = ("name", "version", "id", "creation_context")


def parse_component_id(ref: str) -> tuple[str, Optional[str], Optional[str]]:
    """(name, version, label) of an ARM id (.../components/<n>/versions/<v>), azureml:<n>:<v> or <n>@<label>."""
    text = str(ref)
    if "/components/" in text:
        tail = text.split("/components/", 1)[1].split("/")
        return tail[0], (tail[2] if len(tail) > 2 and tail[1] == "versions" else None), \
            (tail[2] if len(tail) > 2 and tail[1] == "labels" else None)
    from ..core.uris import parse_asset_ref

    return parse_asset_ref(text)


def content_hash(spec: dict) -> str:
    """What makes two components the same: everything but name/version/id (the code folder is content-addressed,
    so its snapshot path carries the code's hash)."""
    body = {k: v for k, v in spec.items() if k not in _VOLATILE}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


class ComponentOperations(VersionedAssetOperations):
    """create_or_update, get, list, archive, restore — as azure.ai.ml's ComponentOperations."""

    KIND, ENTITY = KIND, Component
    HINT = "Register it with ml_client.components.create_or_update(load_component(source='component.yml'))."

    # ---- code snapshots ------------------------------------------------------------------------------
    def _code_root(self) -> Path:
        return self._store.root / "components" / "code"

    def _snapshot(self, component: Any) -> Optional[str]:
        """Copy the component's local code into the store (content-addressed). Returns the snapshot folder."""
        code = getattr(component, "code", None)
        if code is None or str(code).startswith(("azureml:", "http", "git+")) or "/codes/" in str(code):
            return None if code is None else str(code)
        from ..jobs.prepare import snapshot_code

        src = Path(str(code))
        if not src.is_absolute():
            src = (Path(component.base_path or ".") / src).resolve()
        if str(src).startswith(str(self._code_root())):
            return str(src)  # already a snapshot (a component fetched with get())
        self._code_root().mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self._code_root()))
        try:
            class _Job:  # snapshot_code reads .code and .base_path, honouring .amlignore/.gitignore as Azure
                pass
            job = _Job()
            job.code, job.base_path = str(src), str(src.parent)
            snapshot_code(job, tmp / "code")
            digest = _sdk.get_object_hash(tmp / "code")
            final = self._code_root() / digest[:32]
            if not final.exists():
                (tmp / "code").rename(final)
            return str(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # ---- create --------------------------------------------------------------------------------------
    def _prepare_spec(self, component: Component) -> dict:
        snap = self._snapshot(component)
        if snap is not None:
            component.code = snap
        if isinstance(component, PipelineComponent):  # its steps' components are registered first, as Azure
            for node in (component.jobs or {}).values():
                inner = getattr(node, "_component", None)
                if isinstance(inner, Component):
                    node._component = self.register_anonymous(inner)
        spec = to_spec(component)
        return spec

    def create_or_update(self, component: Any, version: Optional[str] = None, *, skip_validation: bool = False,
                         **kwargs: Any) -> Component:
        if isinstance(component, types.FunctionType):  # an mldesigner @command_component function
            component = _sdk.refine_component(component)
        if not isinstance(component, Component):
            raise invalid(f"components.create_or_update expects a Component (load_component(source=...), "
                          f"an mldesigner @command_component function or a @dsl.pipeline component), got "
                          f"{type(component).__name__}.", kind=KIND)
        if version is not None:
            component.version = str(version)
        if not component.name:
            raise invalid("A component needs a name to be registered: set name: in its YAML or name= in Python.",
                          kind=KIND)
        if not skip_validation:
            _validate(component)
        spec = self._prepare_spec(component)
        return self._put(component.name, str(component.version) if component.version else None, spec,
                         tags=component.tags)

    def _put(self, name: str, version: Optional[str], spec: dict, tags: Optional[dict] = None) -> Component:
        """Assign (no version: the next integer) and insert in one transaction; an existing version is returned
        when its content is the same, refused when it differs (versions are immutable)."""
        digest = content_hash(spec)
        check_loads(Component, {**spec, "name": name, "version": version or "1"})
        try:
            row, _ = self._store.create_version(KIND, name, version, lambda v: {**spec, "name": name, "version": v},
                                                same=lambda old: content_hash(old) == digest, tags=tags or {})
        except VersionConflict as e:
            raise already_exists(KIND, name, version,
                                 "A registered component version cannot be changed: bump version (or omit it to "
                                 "get the next one) and register again.") from e
        return self._entity(row)

    def register_anonymous(self, component: Component) -> str:
        """Register an inline component of a pipeline as Azure does (azureml_anonymous, version = content hash);
        a component already registered (it has an id) is used as is. Returns its ARM id."""
        if getattr(component, "id", None) and "/components/" in str(component.id):
            return str(component.id)
        spec = self._prepare_spec(component)
        spec.setdefault("display_name", component.display_name or component.name)
        version = content_hash(spec)
        self._put(ANONYMOUS, version, spec)
        return arm_id(self._client, KIND, ANONYMOUS, version)

    # ---- read ----------------------------------------------------------------------------------------
    def get(self, name: str, version: Optional[str] = None, label: Optional[str] = None) -> Component:
        if not version and not label:
            label = "latest"  # as the SDK's ComponentOperations._get
        return super().get(name, version=str(version) if version else None, label=label)

    def get_by_id(self, ref: str) -> Component:
        name, version, label = parse_component_id(ref)
        return self.get(name, version=version, label=label)

    def list(self, name: Optional[str] = None, *,
             list_view_type: ListViewType = ListViewType.ACTIVE_ONLY) -> Iterable[Component]:
        """All versions of `name`, or the newest version of each component (anonymous ones are not listed)."""
        rows = self._list_rows(name, list_view_type, keep=lambda r: name is not None or r["name"] != ANONYMOUS)
        return [self._entity(r) for r in rows]


def _validate(component: Component) -> None:
    """The SDK's own client-side checks of the component (ValidationException naming the field)."""
    result = _sdk.validate_component(component)
    if not result.passed:
        raise invalid(f"Component '{component.name}' is not valid: {result.error_messages}. Fix the field named "
                      f"and register again.", kind=KIND)
