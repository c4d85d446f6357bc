"""User-facing errors and notes of the local workspace, raised as the SDK's own exception types.

Azure answers a missing resource with azure.core.exceptions.ResourceNotFoundError (HTTP 404) and rejects a bad
spec on the client with azure.ai.ml.exceptions.ValidationException; notebooks that catch those keep working here.
Every message says what was wrong and what to do.
"""

from __future__ import annotations

import sys
from typing import Iterable, Optional

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.ai.ml.exceptions import ErrorCategory, ErrorTarget, ValidationErrorType, ValidationException

# kind in the store -> (readable noun, ErrorTarget)
_KINDS = {
    "data": ("Data asset", ErrorTarget.DATA),
    "environment": ("Environment", ErrorTarget.ENVIRONMENT),
    "model": ("Model", ErrorTarget.MODEL),
    "compute": ("Compute", ErrorTarget.COMPUTE),
    "datastore": ("Datastore", ErrorTarget.DATASTORE),
    "workspace": ("Workspace", ErrorTarget.WORKSPACE),
    "job": ("Job", ErrorTarget.JOB),
    "component": ("Component", ErrorTarget.COMPONENT),
    "run": ("MLflow run", ErrorTarget.JOB),
}


def noun(kind: str) -> str:
    return _KINDS.get(kind, (kind.capitalize(), None))[0]


def target(kind: str) -> str:
    return _KINDS.get(kind, (None, ErrorTarget.UNKNOWN))[1]


def _listing(available: Optional[Iterable[str]], limit: int = 15) -> str:
    items = [str(a) for a in (available or [])]
    if not items:
        return "none exist yet"
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return "existing: " + ", ".join(items[:limit]) + more


def not_found(kind: str, name: str, version: Optional[str] = None, *, available: Optional[Iterable[str]] = None,
              hint: Optional[str] = None) -> ResourceNotFoundError:
    """A ResourceNotFoundError naming what was asked for and what exists. Use as `raise not_found(...)`."""
    what = f"{noun(kind)} '{name}'" + (f" version '{version}'" if version not in (None, "") else "")
    msg = f"{what} was not found in the local workspace ({_listing(available)})."
    if hint:
        msg += f" {hint}"
    return ResourceNotFoundError(message=msg)


def already_exists(kind: str, name: str, version: Optional[str], hint: str) -> ResourceExistsError:
    what = f"{noun(kind)} '{name}'" + (f" version '{version}'" if version not in (None, "") else "")
    return ResourceExistsError(message=f"{what} already exists and asset versions are immutable. {hint}")


def invalid(message: str, *, kind: str = "", error_type: ValidationErrorType = ValidationErrorType.INVALID_VALUE,
            ) -> ValidationException:
    """A ValidationException (client-side, as the SDK raises before anything reaches Azure)."""
    return ValidationException(message=message, no_personal_data_message=message.split(":")[0],
                               target=target(kind) if kind else ErrorTarget.UNKNOWN,
                               error_category=ErrorCategory.USER_ERROR, error_type=error_type)


def missing_path(kind: str, path: str, field: str = "path") -> ValidationException:
    return invalid(f"{noun(kind)} {field} '{path}' does not exist on this machine. Check the spelling and the "
                   f"current folder (relative paths are resolved from the notebook's folder), or give an "
                   f"azureml:// URI of data already in a datastore.",
                   kind=kind, error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)


def missing_field(kind: str, field: str, example: str) -> ValidationException:
    return invalid(f"{noun(kind)} needs '{field}'. For example: {example}", kind=kind,
                   error_type=ValidationErrorType.MISSING_FIELD)


def not_yet(module: str, what: str, azure_would: str) -> NotImplementedError:
    """For operation groups a later module of the course brings to the local workspace."""
    return NotImplementedError(f"{what} arrives in module {module} of dp100lab; on Azure this would {azure_would}. "
                               f"Until then use a real workspace (DP100LAB_BACKEND=azure) for it.")


def note(message: str) -> None:
    """ONE line saying what Azure would do that the local workspace does not (never silent)."""
    print(f"[local] {message}", file=sys.stdout)
