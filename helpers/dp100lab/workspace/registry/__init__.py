"""The local `azureml` registry: what `MLClient(..., registry_name="azureml").components` reads.

Only the responsible-AI tabular components are served (registry/components.py), implemented on responsibleai
(registry/rai.py). get() takes version= or label="latest" as the SDK does; an unknown name or version raises
ResourceNotFoundError listing what exists.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from azure.core.exceptions import ResourceNotFoundError

from . import components as C


def get_component(name: str, version: Optional[str] = None, label: Optional[str] = None) -> Any:
    """A registry component by name and version (or label 'latest'), as a CommandComponent."""
    comp = C.build(name)
    if comp is None:
        raise ResourceNotFoundError(
            message=f"Component '{name}' was not found in registry '{C.REGISTRY}'. The local azureml registry has: "
                    f"{', '.join(C.names())}.")
    if label not in (None, "latest"):
        raise ResourceNotFoundError(message=f"Component '{name}' has no label '{label}' in registry "
                                            f"'{C.REGISTRY}'; its only label is 'latest' (version {comp.version}).")
    if version is not None and str(version) != comp.version:
        raise ResourceNotFoundError(message=f"Component '{name}' version '{version}' was not found in registry "
                                            f"'{C.REGISTRY}' (existing versions: {comp.version}). Use "
                                            f"label='latest' or version='{comp.version}'.")
    return comp


def resolve(component_id: str) -> Any:
    """azureml://registries/azureml/components/<name>/versions/<v> | /labels/<label> -> CommandComponent."""
    registry = component_id.split("azureml://registries/", 1)[-1].split("/", 1)[0]
    if registry != C.REGISTRY:
        raise ResourceNotFoundError(message=f"Component '{component_id}' is in registry '{registry}', which is not "
                                            f"on this machine; the local workspace has only the '{C.REGISTRY}' "
                                            f"registry's RAI components.")
    parts = component_id.split("/components/", 1)[-1].split("/")
    if len(parts) == 3 and parts[1] == "versions":
        return get_component(parts[0], version=parts[2])
    if len(parts) == 3 and parts[1] == "labels":
        return get_component(parts[0], label=parts[2])
    return get_component(parts[0], label="latest")


class RegistryComponentOperations:
    """ml_client.components of a registry client (get and list, as the SDK's ComponentOperations on a registry)."""

    def __init__(self, registry_name: str):
        if registry_name != C.REGISTRY:
            from ..core.errors import note

            note(f"registry '{registry_name}' is not on this machine; the local workspace has only the "
                 f"'{C.REGISTRY}' registry's RAI components.")
        self.registry_name = registry_name

    def get(self, name: str, version: Optional[str] = None, label: Optional[str] = None, **kwargs: Any) -> Any:
        if self.registry_name != C.REGISTRY:
            raise ResourceNotFoundError(message=f"Registry '{self.registry_name}' is not available locally; use "
                                                f"registry_name='{C.REGISTRY}' for the RAI components.")
        return get_component(name, version=version, label=label if version is None else None)

    def list(self, name: Optional[str] = None, **kwargs: Any) -> Iterable[Any]:
        return [C.build(n) for n in C.names() if name in (None, n)]

    def create_or_update(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("The azureml registry is Microsoft's and read-only; register your own "
                                  "components in your workspace with ml_client.components.create_or_update.")
