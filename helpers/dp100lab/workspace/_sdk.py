"""The only module that touches azure-ai-ml's private names (tests/workspace/test_sdk_contract.py checks each one).

The local workspace stores entities the way the service does (the SDK's REST and dict forms) and rebuilds them
with the SDK's own loaders, so it needs a few of azure-ai-ml's internals. Every such name is imported or called
here and nowhere else: when a pin upgrade moves one, the contract test names the symbol that moved.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

from azure.ai.ml._file_utils.file_utils import traverse_up_path_and_find_file  # noqa: F401  (connect.py)
from azure.ai.ml._restclient.arm_ml_service.models import JobBase
from azure.ai.ml._utils._asset_utils import generate_asset_id, get_object_hash  # noqa: F401  (datastores.py)
from azure.ai.ml._utils._asset_utils import get_ignore_file  # noqa: F401  (jobs/prepare.py: the upload's rules)
from azure.ai.ml._utils.utils import resolve_short_datastore_url, validate_ml_flow_folder  # noqa: F401  (models.py)
from azure.ai.ml.constants._common import DEFAULT_EXPERIMENT_NAME  # noqa: F401
from azure.ai.ml.constants._compute import ComputeDefaults  # noqa: F401  (compute.py: what the SDK sends)
from azure.ai.ml.entities import Job
from azure.ai.ml.entities._builders import BaseNode  # noqa: F401
from azure.ai.ml.entities._builders.control_flow_node import ControlFlowNode  # noqa: F401  (kinds/pipeline.py)
from azure.ai.ml._restclient.arm_ml_service.models import BatchEndpointDefaults  # noqa: F401  (batch_endpoints.py)
from azure.ai.ml.entities._job.automl.automl_job import AutoMLJob  # noqa: F401  (no public name for the base)
from azure.ai.ml.entities._job.job_name_generator import generate_job_name  # noqa: F401
from azure.ai.ml.entities._system_data import SystemData  # noqa: F401  (specs.py)
from azure.ai.ml.entities._validation import PathAwareSchemaValidatableMixin
from azure.ai.ml.operations._component_operations import _refine_component as refine_component  # noqa: F401  (components.py: mldesigner functions)

# Private members called on public entities, listed for the contract test.
MEMBERS = {"Job": ("_from_rest_object", "_to_rest_object", "_validate"), "PipelineJob": ("_try_raise",),
           "BaseNode": ("_to_job",), "Resource": ("_to_dict", "_load"), "Component": ("_validate",),
           "WorkspaceConnection": ("_to_rest_object", "_from_rest_object")}


@contextmanager
def quiet_experimental() -> Iterator[None]:
    """The SDK warns "This is an experimental class" whenever such an entity is built. When the local workspace
    rebuilds a stored entity the learner did not write that code, so the warning is noise there (and only there:
    a learner's own use of an experimental class still warns, as on Azure)."""
    logger = logging.getLogger("azure.ai.ml._utils._experimental")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


def job_to_rest_dict(job: Job) -> dict:
    """The REST body the SDK would send for `job` (what the service stores)."""
    with quiet_experimental():
        return job._to_rest_object().as_dict()


def job_from_rest_dict(body: dict) -> Job:
    """The entity the SDK builds from a job the service returned (Command, SweepJob, PipelineJob, ...).

    Some job types keep the REST enum as status (printing JobStatus.COMPLETED); studio and the CLI show the
    plain string, so the entity gets the string."""
    with quiet_experimental():
        job = Job._from_rest_object(JobBase(body))
    status = getattr(job, "_status", None)
    if status is not None and type(status) is not str:
        job._status = getattr(status, "value", str(status))
    return job


def node_to_job(node: Any) -> Job:
    """A builder node (command(...), .sweep(...)) as the job the SDK would submit; keeps the YAML's base path."""
    with quiet_experimental():
        job = node._to_job()
    job._base_path = node.base_path  # _to_job() resets it to cwd; load_job YAML paths are relative to the file
    return job


def validate_job(job: Job) -> None:
    """The SDK's client-side checks of a job (required fields, bindings), raising its ValidationException."""
    if hasattr(job, "_validate"):  # as JobOperations._validate: SweepJob/AutoMLJob have no schema check
        with quiet_experimental():  # the schemas it builds warn on construction; the learner wrote none of them
            job._validate()


def entity_to_dict(entity: Any) -> dict:
    with quiet_experimental():
        return entity._to_dict()


def entity_load(cls: type, data: dict) -> Any:
    with quiet_experimental():
        return cls._load(data=data)


def job_validation(job: Job, *, raise_on_failure: bool, more: Any = None) -> Any:
    """As JobOperations._validate: the job's ValidationResult from the SDK's own checks, then `more(result)` (which
    may append errors) when they passed; raised as the SDK's ValidationException with raise_on_failure=True. Job
    types without schema validation (sweep, AutoML) get an empty, passed result, as from the SDK."""
    if not isinstance(job, PathAwareSchemaValidatableMixin):
        return PathAwareSchemaValidatableMixin._create_empty_validation_result()
    with quiet_experimental():
        result = job._validate(raise_error=raise_on_failure)
    if result.passed and more is not None:
        more(result)
    return job._try_raise(result, raise_error=raise_on_failure)


def validate_component(component: Any) -> Any:
    """The SDK's client-side checks of a component (a ValidationResult with .passed and .error_messages)."""
    return component._validate()


def validate_pipeline(job: Any) -> None:
    """A pipeline job's client-side checks, raising as JobOperations.create_or_update does (raise_on_failure)."""
    job._validate(raise_error=True)


def validate_schedule(schedule: Any) -> None:
    """A JobSchedule's client-side checks, raising as ScheduleOperations.begin_create_or_update does."""
    schedule._validate(raise_error=True)


def set_schedule_enabled(schedule: Any, enabled: bool) -> None:
    schedule._is_enabled = enabled  # as ScheduleOperations.begin_enable / begin_disable


def schedule_to_rest_dict(schedule: Any) -> dict:
    import json

    body = json.loads(json.dumps(schedule._to_rest_object().as_dict(), default=str))
    body["name"] = schedule.name  # read-only on the wire (the service sets it from the URL)
    return body


def schedule_from_rest_dict(body: dict) -> Any:
    from azure.ai.ml._restclient.arm_ml_service.models import Schedule as RestSchedule
    from azure.ai.ml.entities import Schedule

    return Schedule._from_rest_object(RestSchedule(body))


def connection_to_rest_dict(connection: Any) -> dict:
    """The REST body the SDK would send for a WorkspaceConnection (what the service stores), with its name."""
    import json

    with quiet_experimental():
        body = json.loads(json.dumps(connection._to_rest_object().as_dict(), default=str))
    body["name"] = connection.name  # read-only on the wire (the service sets it from the URL)
    return body


def connection_from_rest_dict(body: dict) -> Any:
    """The connection entity (its subclass picked by category, as for a connection Azure returned)."""
    from azure.ai.ml._restclient.arm_ml_service.models import WorkspaceConnectionPropertiesV2BasicResource
    from azure.ai.ml.entities import WorkspaceConnection

    with quiet_experimental():
        return WorkspaceConnection._from_rest_object(WorkspaceConnectionPropertiesV2BasicResource(body))
