"""Validate a command job the way Azure does on submission and resolve it for this machine (shared by every kind).

The plan (written to <job>/runner.json) holds the command with `${{inputs.*}}` / `${{outputs.*}}` replaced by
local paths and values, the working folder (a snapshot of `code`), and the environment variables Azure sets in
a job: MLFLOW_TRACKING_URI / MLFLOW_RUN_ID / MLFLOW_EXPERIMENT_ID so MLflow logs into the job's run, AZUREML_RUN_ID
(the job name), plus the job's own `environment_variables`.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator, Optional

from azure.ai.ml.entities import Environment
from azure.core.exceptions import ResourceNotFoundError

from ..core.errors import invalid, missing_path, note
from ..core.store import Store
from ..core import uris

MODEL_TYPES = ("mlflow_model", "custom_model", "triton_model")
# "path" is the SDK's legacy file-or-folder type (LegacyAssetTypes.PATH), still accepted by command() inputs
PATH_TYPES = ("uri_file", "uri_folder", "mltable", "path") + MODEL_TYPES
_BINDING = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)
_SKIP = (".git", "__pycache__", ".ipynb_checkpoints", "*.pyc", ".amlignore", ".DS_Store")
_noted: set[str] = set()  # one line per compute/environment per process, not per job


def base_path(job: Any) -> Path:
    """Folder that relative paths of the job are relative to (YAML folder for load_job, else cwd)."""
    try:
        return Path(job.base_path or ".").resolve()
    except Exception:
        return Path.cwd()


def _is_local(path: str) -> bool:
    if path.startswith("azureml:") or "://" in path or path.startswith("runs:/") or uris.is_asset_id(path):
        return False  # an asset's ARM id (Input(path=data_asset.id)) is absolute but not a local path
    # as JobOperations._resolve_job_input: a relative path with ':' or '@' is an asset id (load_job strips
    # `azureml:` from `azureml:diabetes-data:1`, leaving diabetes-data:1)
    return Path(path).is_absolute() or not (":" in path or "@" in path)


def _local(job: Any, path: str) -> Path:
    p = uris.strip_file_scheme(path).expanduser()
    return p if p.is_absolute() else (base_path(job) / p).resolve()


# ---- validation ------------------------------------------------------------------------------------
def check_compute(client: Any, compute: Optional[str]) -> str:
    """'serverless', 'local', or the name of a registered compute. Unknown names fail as on Azure."""
    from ..assets.compute import ensure_compute_exists

    name = str(compute or "").split("/computes/")[-1]
    name = name[len("azureml:"):] if name.startswith("azureml:") else name
    try:
        found = ensure_compute_exists(client, compute)
    except ResourceNotFoundError as e:
        # Azure's SDK rewrites the 404 as "Not found compute with name <name>" (JobOperations._try_get_compute_arm_id)
        existing = client.store.names("compute")
        raise ResourceNotFoundError(
            message=f"Not found compute with name {name} (existing computes: {', '.join(existing) or 'none yet'}). "
                    f"Create it with ml_client.compute.begin_create_or_update(...).result(), use an existing "
                    f"name, or leave compute out to run on serverless compute.") from e
    if found is None:
        return "local" if name == "local" else "serverless"
    _note_once(f"compute:{name}", f"compute '{name}': the job runs as a process on this machine; on Azure it "
                                  f"would queue on that compute's nodes.")
    return name


def _note_once(key: str, message: str) -> None:
    if key not in _noted:
        _noted.add(key)
        note(message)


def check_environment(client: Any, env: Any) -> Optional[Any]:
    """The Environment entity the job names; unknown names/versions fail listing what exists (environments.get)."""
    if env is None or isinstance(env, Environment):
        return env
    text = str(env)
    if text.startswith("azureml://registries/"):
        _note_once(text, f"environment '{text}' comes from a registry: on Azure its image would be pulled; here "
                         f"the job runs in the lab's Python.")
        return None
    name, version, label = uris.parse_asset_ref(text)
    entity = client.environments.get(name, version=version, label=label)
    # a pinned curated version already had its one line from environments.get ("...the lab's Python stands in")
    if (entity.tags or {}).get("curated") == "true" and version is None:
        _note_once(name, f"curated environment '{name}': on Azure the job would run in its image; here it runs "
                         f"in the lab's Python.")
    return entity


def note_unenforced(job: Any) -> None:
    """Settings Azure acts on that a single local process cannot: recorded on the job, said in one line each."""
    limits = getattr(job, "limits", None)
    if limits is not None and getattr(limits, "timeout", None):
        note(f"limits.timeout={limits.timeout}s is recorded; on Azure the job would be stopped after it, here it "
             f"runs to the end (cancel with ml_client.jobs.begin_cancel).")
    services = {k: getattr(v, "type", None) for k, v in (getattr(job, "services", None) or {}).items()}
    services = {k: t for k, t in services.items() if t and str(t).lower() != "studio"}
    if services:
        listed = ", ".join(f"'{k}' ({t})" for k, t in services.items())
        note(f"services {listed} are recorded; on Azure they open into the job's container while it runs, on a "
             f"compute cluster or Arc-enabled Kubernetes compute (how-to-interactive-jobs); here the job is a local "
             f"process and opens none.")
    resources = getattr(job, "resources", None)
    count = getattr(resources, "instance_count", None) if resources is not None else None
    if (count and count > 1) or getattr(job, "distribution", None) is not None:
        note(f"distributed settings (instance_count={count or 1}, distribution="
             f"{type(job.distribution).__name__ if job.distribution else None}) are recorded; on Azure the command "
             f"would start on every node, here it runs once as a single process.")


def warn_packages(client: Any, env: Optional[Any]) -> None:
    """ONE line when the environment's packages are not importable in the lab's Python."""
    if env is None:
        return
    from ..assets.environments import check_importable

    missing = check_importable(env)
    if missing:
        names = ", ".join(missing)
        note(f"environment '{env.name or 'inline'}' lists packages not importable here ({names}); the job runs in the "
             f"lab's Python and may fail where it imports them (on Azure the image would have them).")


def resolve_inputs(client: Any, job: Any) -> dict[str, str]:
    """Each input as the text that replaces ${{inputs.name}}: a value as is (as Azure) or a shell-quoted path."""
    values: dict[str, str] = {}
    for key, value in (job.inputs or {}).items():
        value = getattr(value, "_data", value)  # builder NodeInput -> its Input or literal
        if value is None:
            continue
        if not hasattr(value, "type"):  # a literal: int, float, str, bool
            values[key] = str(value)
            continue
        path = getattr(value, "path", None)
        if value.type not in PATH_TYPES or path is None:
            default = getattr(value, "default", None)
            if default is not None:
                values[key] = str(default)
            elif value.type in PATH_TYPES and not getattr(value, "optional", False):
                # as JobOperations._resolve_job_input: "Input path can't be empty for jobs."
                raise invalid(f"Job input '{key}' has no path: Azure refuses it (\"Input path can't be empty for "
                              f"jobs.\"). Give it one: Input(type='{value.type}', path=...) (Input takes path=, "
                              f"not file= or folder=).", kind="job")
            continue
        path = str(path)
        if _is_local(path):
            local = _local(job, path)
            if not local.exists():
                raise invalid(f"Job input '{key}' path '{path}' does not exist on this machine (looked for "
                              f"{local}). Check the spelling and the current folder, or use a registered data "
                              f"asset (azureml:<name>:<version>).", kind="job")
            value.path = str(local)  # recorded absolute, as Azure records the uploaded location
        else:
            kind = "model" if value.type in MODEL_TYPES else "data"
            try:
                local = uris.resolve_path(client.store, path, kind=kind)
            except ResourceNotFoundError as e:
                raise ResourceNotFoundError(message=f"Job input '{key}': {e.message}") from e
        values[key] = shlex.quote(str(local))  # a path: quoted in the command when it has spaces
    return values


# Azure's server expressions (concept-expressions), resolved when the job runs: the job's (a pipeline step's own)
# name, the output's name, and the default datastore (a pipeline's settings.default_datastore is put in by its steps)
_SERVER_EXPRESSION = re.compile(r"\$\{\{\s*(name|output_name|default_datastore)\s*\}\}")


def expand_server_expressions(text: str, *, name: str, output: str, datastore: str) -> str:
    values = {"name": name, "output_name": output, "default_datastore": datastore}
    return _SERVER_EXPRESSION.sub(lambda m: values[m.group(1)], text)


def resolve_outputs(store: Store, name: str, job: Any) -> dict[str, str]:
    """Each output as a local path the script writes to (created empty, mounted read-write on Azure)."""
    from ..assets.datastores import default_name

    paths: dict[str, str] = {}
    for key, value in (job.outputs or {}).items():
        value = getattr(value, "_data", value)
        given = getattr(value, "path", None) if value is not None else None
        if given and "${{" in str(given):
            given = expand_server_expressions(str(given), name=name, output=key, datastore=default_name(store))
        otype = getattr(value, "type", None) or "uri_folder"
        if given and uris.is_datastore_uri(str(given)):
            ds, rel = uris.parse_datastore_uri(str(given))
            local = uris.inside(uris.datastore_folder(store, ds), rel, str(given))
        else:
            local = store.job_dir(name) / "outputs" / key
        if otype == "uri_file":
            target = local if given else local / key
            target.parent.mkdir(parents=True, exist_ok=True)
            paths[key] = str(target)
        else:
            local.mkdir(parents=True, exist_ok=True)
            paths[key] = str(local)
    return paths


def render_command(command: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """Replace ${{inputs.x}} / ${{outputs.x}}; keep a $[[...]] block only when all its inputs are given."""
    values = {"inputs": inputs, "outputs": {k: shlex.quote(v) for k, v in outputs.items()}}

    def _optional(m: re.Match) -> str:
        refs = _BINDING.findall(m.group(1))
        return m.group(1) if all(n in values[kind] for kind, n in refs) else ""

    def _one(m: re.Match) -> str:
        kind, n = m.group(1), m.group(2)
        if n not in values[kind]:
            raise invalid(f"The command uses ${{{{{kind}.{n}}}}} but the job has no {kind[:-1]} named '{n}' "
                          f"(it has: {', '.join(values[kind]) or 'none'}). Add it to {kind}= or fix the name.",
                          kind="job")
        return values[kind][n]

    return _BINDING.sub(_one, _OPTIONAL.sub(_optional, command))


# ---- working folder --------------------------------------------------------------------------------
def _snapshot_files(src: Path) -> Iterator[tuple[Path, str]]:
    """(file, path relative to src) of every file Azure would upload from the code folder: the SDK's own ignore
    rules (get_ignore_file: .amlignore, else .gitignore, in gitignore syntax, '!' and 'data/*.csv' included, each
    file checked as the upload does), minus caches the local snapshot never copies."""
    from .._sdk import get_ignore_file

    src = src.resolve()  # the ignore file's rules are relative to its resolved folder
    ignore = get_ignore_file(src)
    for folder, dirs, files in os.walk(src, followlinks=True):  # as the SDK's upload walks it
        dirs[:] = [d for d in dirs if not _skipped(d)]
        for f in files:
            path = Path(folder) / f
            if not _skipped(f) and not ignore.is_file_excluded(path.as_posix()):
                yield path, os.path.relpath(path, src)


def _skipped(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in _SKIP)


SNAPSHOT_WARN_BYTES = 100 * 10**6  # the SDK's upload warns past 100 MB (azure.ai.ml._artifacts FILE_SIZE_WARNING)


def _warn_size(files: list[tuple[Path, str]], src: Path) -> None:
    total, biggest = 0, (0, "")
    for path, rel in files:
        size = os.path.getsize(path)
        total += size
        biggest = max(biggest, (size, rel))
    if total > SNAPSHOT_WARN_BYTES:
        note(f"the code snapshot of {src} is {total / 10**6:.0f} MB (largest: {biggest[1]}, {biggest[0] / 10**6:.0f} "
             f"MB); the SDK warns past 100 MB and uploads the snapshot with the job. Keep data out of the code folder "
             f"or list it in .amlignore (or .gitignore), which the snapshot honours.")


def snapshot_code(job: Any, wd: Path) -> Optional[Path]:
    """Copy `code` into the job's working folder (Azure uploads a snapshot: later edits don't change the job)."""
    code = getattr(job, "code", None)
    if code is None:
        wd.mkdir(parents=True, exist_ok=True)
        return None
    code = str(code)
    if not _is_local(code):
        raise invalid(f"code '{code}' is a registered or remote code asset; the local workspace runs code from a "
                      f"local folder. Pass code='./src' (the folder with your script).", kind="job")
    src = _local(job, code)
    if not src.exists():
        raise missing_path("job", code, field="code")
    wd.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        files = list(_snapshot_files(src))
        _warn_size(files, src)
        for path, rel in files:
            (wd / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, wd / rel)
    else:
        shutil.copy2(src, wd / src.name)
    return src


def shell_argv(command: str) -> list[str]:
    shell = "/bin/bash" if Path("/bin/bash").exists() else "/bin/sh"
    return [shell, "-c", command]
