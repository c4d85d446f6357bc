"""Entity <-> stored spec: the SDK's own dict form (entity._to_dict()) in, the SDK's own loader (cls._load) out.

Round trip verified for Data, Model, Environment, AzureBlob/ADLS Gen2/AzureFile datastores, AmlCompute,
ComputeInstance and Workspace: cls._load(data=json(entity._to_dict()))._to_dict() == entity._to_dict().
The loaded entity also gets an ARM-style id and a creation_context, as entities returned by Azure have.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional, Type

from .._sdk import SystemData, entity_load, entity_to_dict

from .errors import invalid

# ARM child-resource segment of each kind, as in Azure ids (.../workspaces/<ws>/data/<name>/versions/<v>)
_ARM_SEGMENT = {"data": "data", "model": "models", "environment": "environments", "compute": "computes",
                "datastore": "datastores", "component": "components"}


def to_spec(entity: Any) -> dict:
    """JSON-safe SDK dict form of an entity."""
    try:
        return json.loads(json.dumps(entity_to_dict(entity), default=str))
    except Exception as e:  # the SDK's own schema validation rejected it: say which entity and why
        raise invalid(f"{type(entity).__name__} '{getattr(entity, 'name', '?')}' is not valid: {e}. "
                      f"Fix the field named above and call create_or_update again.") from e


def check_loads(cls: Type, spec: dict) -> dict:
    """Refuse to store a spec the SDK could not load back (so a bad entity never poisons the registry)."""
    try:
        entity_load(cls, dict(spec))
    except Exception as e:
        raise invalid(f"{cls.__name__} '{spec.get('name', '?')}' would not load back: {str(e).strip()[:600]}. "
                      f"Fix the field named above and call create_or_update again.") from e
    return spec


def arm_id(client: Any, kind: str, name: str, version: Optional[str] = None) -> str:
    base = (f"/subscriptions/{client.subscription_id}/resourceGroups/{client.resource_group_name}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{client.workspace_name}")
    if kind == "workspace":
        return base
    rid = f"{base}/{_ARM_SEGMENT.get(kind, kind)}/{name}"
    return rid + (f"/versions/{version}" if version else "")


def from_row(cls: Type, row: dict, client: Any = None) -> Any:
    """Rebuild the entity stored in a registry row with the SDK's loader."""
    entity = entity_load(cls, dict(row["spec"]))
    if client is not None:
        try:
            entity._id = arm_id(client, row["kind"], row["name"], row.get("version"))
        except AttributeError:
            pass
    try:
        entity._creation_context = SystemData(created_at=datetime.fromisoformat(row["created_at"]),
                                              created_by="local user", created_by_type="User",
                                              last_modified_at=datetime.fromisoformat(row["updated_at"]))
    except AttributeError:
        pass
    return entity
