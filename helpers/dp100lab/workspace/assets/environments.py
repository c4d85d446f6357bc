"""ml_client.environments for the local workspace, and a package check for jobs.

As azure-ai-ml 1.35 EnvironmentOperations: Environment.validate() runs first (image or build, not both); with no
version the latest version is reused when nothing changed, else the next integer version is created; get() needs a
version or a label; archived versions stay usable by explicit version (Azure CLI docs, az ml environment archive).
Curated environments (names starting AzureML-) live in Microsoft's azureml registry and are available in every
workspace; the names Microsoft documents (data/curated_environments.json, with sources) resolve here, and are listed;
another AzureML- name is refused with close matches, and a version above the newest one Microsoft's material uses for
that name is refused as Azure refuses a version its registry lacks. Locally no image is built: jobs run in the lab's
Python.
"""

from __future__ import annotations

import difflib
import importlib.metadata as md
import json
import re
from pathlib import Path
from typing import Any, Iterable, Optional

from azure.ai.ml.constants import ListViewType
from azure.ai.ml.entities import BuildContext, Environment
from azure.ai.ml.exceptions import ValidationErrorType
from azure.core.exceptions import ResourceNotFoundError

from ..core.errors import invalid, missing_path, not_found, note
from ..core.specs import to_spec
from ..core.uris import resolve_path
from .versioned import VersionedAssetOperations

KIND = "environment"
# Curated names Microsoft documents, with the source of each (data/curated_environments.json). Their package lists
# are Microsoft's and change; only the name is recorded here (the image tag is illustrative).
CURATED_FILE = Path(__file__).parent / "data" / "curated_environments.json"
_CURATED_DATA = json.loads(CURATED_FILE.read_text())["environments"]
CURATED = {name: e["about"] for name, e in _CURATED_DATA.items()}
# the newest version Microsoft's docs, labs or SDK samples use per name, with where (version_source in the data)
CURATED_MAX = {name: int(e["max_version"]) for name, e in _CURATED_DATA.items()}
_NOT_PACKAGES = {"python", "pip", "setuptools", "wheel", "conda", "nomkl", "mkl"}
_IMPORT_ALIASES = {"azureml-mlflow": "azureml-mlflow", "azureml-defaults": "azureml-defaults"}


_stood_in: set[tuple[str, str]] = set()


def curated_entity(name: str, version: Optional[str] = None) -> Environment:
    """The curated environment `name` as a recorded entity (no build happens locally).

    A name Microsoft does not document is refused with close matches, as Azure refuses a name its registry lacks.
    An integer version from 1 to the newest one Microsoft's material uses for the name (CURATED_MAX) is taken with
    one line that Azure resolves it; a higher one (or 0) is refused with the service's wording and @latest as the
    fix; any other version text is refused."""
    key = next((k for k in CURATED if k.lower() == name.lower()), None)
    if key is None:
        close = difflib.get_close_matches(name, list(CURATED), n=3, cutoff=0.6)
        raise not_found(KIND, name, version, available=close or sorted(CURATED)[:5],
                        hint=f"'{name}' is not a curated environment Microsoft documents (they are listed in studio "
                             f"and by `az ml environment list`); use one of those, or your own Environment.")
    if version is not None and not str(version).isdigit():
        raise invalid(f"Curated environment '{key}' version '{version}': curated versions are integers (e.g. "
                      f"version=44), or use label='latest'.", kind=KIND)
    newest = CURATED_MAX[key]
    if version is not None and not 1 <= int(version) <= newest:
        # the registry service's text for a version it lacks, then the rule this lab applies and what to do
        known = (f"versions 1-{newest} of '{key}' resolve ({newest} is the newest Microsoft's docs and samples use)"
                 if newest > 1 else f"only version 1 of '{key}' resolves (Microsoft's docs and samples name no other)")
        raise ResourceNotFoundError(message=(
            f"No environment exists for name: {key}, version: {version}, label: . Locally {known}; Azure's registry "
            f"holds only the versions it has published. Use label='latest' ('{key}@latest' in a job)"
            + (f" or a version from 1 to {newest}." if newest > 1 else ".")))
    if version is not None and (key, version) not in _stood_in:
        _stood_in.add((key, version))
        note(f"curated environment '{key}' version {version}: Azure resolves that version in its azureml registry "
             f"(and refuses one the registry does not hold); offline the lab's Python stands in for it.")
    about = CURATED[key]
    env = Environment(name=key, version=version or "1", description=f"Curated: {about} (azureml registry)",
                      image=f"mcr.microsoft.com/azureml/curated/{key.lower()[len('azureml-'):]}:latest",
                      tags={"curated": "true"})
    env._id = f"azureml://registries/azureml/environments/{key}/versions/{env.version}"
    return env


def is_curated(name: str) -> bool:
    """Curated environments use the prefix AzureML- (MS Learn: explore and use curated environments)."""
    return str(name).lower().startswith("azureml-")


def _requirements(env: Environment) -> list[str]:
    conda = env.conda_file or {}
    deps: list[str] = []
    for d in conda.get("dependencies", []) if isinstance(conda, dict) else []:
        if isinstance(d, dict):
            deps += [str(p) for p in d.get("pip", [])]
        else:  # conda spec "name=1.2" / "name>=1.2" / "channel::name"
            deps.append(str(d).split("::")[-1])
    return deps


def check_importable(env: Environment) -> list[str]:
    """The environment's conda/pip packages that this Python lacks or has at another version, e.g.
    ['scikit-learn=1.2 (installed 1.5.1)', 'azureml-mlflow (not installed)']. Empty when all are present."""
    problems = []
    for spec in _requirements(env):
        if spec.startswith(("-", "git+", "http")):
            continue  # pip options (e.g. --extra-index-url) and URLs are not package names
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:(==|=|>=|<=|~=|!=|<|>)\s*([^\s;,]+))?", spec)
        if not m or m.group(1).lower() in _NOT_PACKAGES:
            continue
        name, op, want = m.group(1), m.group(2), m.group(3)
        try:
            have = md.version(_IMPORT_ALIASES.get(name.lower(), name))
        except md.PackageNotFoundError:
            problems.append(f"{name} (not installed)")
            continue
        if op in ("==", "=") and want and not (have == want or have.startswith(want.rstrip("*").rstrip(".") + ".")):
            problems.append(f"{spec.strip()} (installed {have})")
    return problems


class EnvironmentOperations(VersionedAssetOperations):
    """create_or_update, get, list, archive, restore — as azure.ai.ml's EnvironmentOperations."""

    KIND, ENTITY = KIND, Environment
    HINT = "Register it with ml_client.environments.create_or_update(Environment(...))."

    def create_or_update(self, environment: Environment) -> Environment:
        if not isinstance(environment, Environment):
            raise invalid(f"create_or_update expects an azure.ai.ml.entities.Environment, got "
                          f"{type(environment).__name__}.", kind=KIND)
        environment.validate()  # the SDK's own checks: name, image or build (not both)
        conda = environment.conda_file
        if conda is not None and not isinstance(conda, dict):
            # the SDK reads a str conda_file as a path and loads its YAML; a file holding plain text loads as a str
            raise invalid(f"Environment '{environment.name}': conda_file loaded as {type(conda).__name__} "
                          f"{str(conda)[:60]!r}, not a conda specification. Give the path of a YAML file with "
                          f"name:, channels: and dependencies: (or that mapping as a dict).", kind=KIND)
        if is_curated(environment.name) or environment.name.lower().startswith(("azureml", "microsoft")):
            note(f"'{environment.name}': names starting with 'AzureML' or 'Microsoft' are reserved for curated "
                 f"environments on Azure; choose your own name to avoid a clash.")
        build = environment.build
        if isinstance(build, BuildContext) and build.path and not str(build.path).startswith(("azureml:", "http")):
            from .datastores import upload_to_datastore

            folder = Path(build.path)
            if not folder.is_dir():
                raise missing_path(KIND, str(build.path), field="build context")
            if not (folder / (build.dockerfile_path or "Dockerfile")).is_file():
                raise invalid(f"The build context {folder} has no {build.dockerfile_path or 'Dockerfile'}. Add one, or "
                              f"set dockerfile_path= to its path inside the folder.", kind=KIND,
                              error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)
            # snapshot like Azure's upload; the entity keeps a loadable local path to the snapshot
            snapshot = resolve_path(self._client, upload_to_datastore(self._client, folder))
            environment.build = BuildContext(path=str(snapshot), dockerfile_path=build.dockerfile_path)
        spec = to_spec(environment)
        spec.pop("version", None)
        row, created = self._create(environment, spec, "Change the version, or omit version= to create the next one.",
                           cls=Environment, reuse_latest=True,  # as the SDK: an unchanged definition is reused
                           compare=lambda stored: {k: v for k, v in stored.items() if k != "version"} ==
                           {k: v for k, v in spec.items() if k != "version"})
        if created and (environment.build or environment.conda_file):
            note(f"environment '{environment.name}' version {row['version']} recorded; on Azure the first job using "
                 f"it would build a Docker image in the workspace's container registry. Locally jobs run in this "
                 f"Python (see check_importable for missing packages).")
        return self._entity(row)

    def _missing(self, name: str, version: Optional[str], label: Optional[str], hint: Optional[str] = None) -> Any:
        """A curated (AzureML-) name resolves to the azureml registry's environment; else not found."""
        if is_curated(name):
            return curated_entity(name, version)
        return super()._missing(name, version, label, hint)

    def list(self, name: Optional[str] = None, *, list_view_type: ListViewType = ListViewType.ACTIVE_ONLY,
             **kwargs: Any) -> Iterable[Environment]:
        """All versions of `name`, or the newest version of each environment (curated ones included)."""
        found = super().list(name, list_view_type=list_view_type)
        if self._archived_only(list_view_type) is not True:
            found += [curated_entity(n) for n in CURATED if name in (None, n) and not self._store.list(KIND, n)]
        return found

    def _check_archivable(self, name: str, version: Optional[str], label: Optional[str]) -> None:
        super()._check_archivable(name, version, label)
        if is_curated(name):
            raise invalid(f"'{name}' is a curated environment owned by Microsoft; it cannot be archived or restored.",
                          kind=KIND)
