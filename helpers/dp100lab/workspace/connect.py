"""dp100lab.connect(): a real MLClient when an Azure ML workspace is configured, else the local workspace.

The workspace config is found the way MLClient.from_config finds it (SDK 1.35 source): starting at `path`
(default: the current folder) and walking up to 20 parent folders, looking in .azureml/, aml_config/ and the
folder itself for config.json, then project.json. A file counts only if it names a workspace
(subscription_id, resource_group, workspace_name, or an ARM "Scope"), so an unrelated config.json is ignored.
DP100LAB_BACKEND=azure|local forces the choice.
"""

from __future__ import annotations

import json
import os
from itertools import product
from pathlib import Path
from typing import Any, Optional

from ._sdk import traverse_up_path_and_find_file

from .core.errors import invalid



def find_workspace_config(path: Optional[os.PathLike | str] = None) -> Optional[Path]:
    """The config file MLClient.from_config would use, if it names a workspace; else None."""
    start = Path(path) if path else Path(".")
    if start.is_file():
        candidates = [str(start)]
    else:
        candidates = [traverse_up_path_and_find_file(path=start, file_name=f, directory_name=d, num_levels=20)
                      for d, f in product([".azureml", "aml_config", None], ["config.json", "project.json"])]
    for found in filter(None, candidates):
        try:
            cfg = json.loads(Path(found).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(cfg, dict) and (cfg.get("Scope") or all(
                k in cfg for k in ("subscription_id", "resource_group", "workspace_name"))):
            return Path(found)
    return None


def _connect_azure(config: Optional[Path], credential: Any, quiet: bool) -> Any:
    from azure.ai.ml import MLClient

    if credential is None:
        from azure.identity import DefaultAzureCredential
        credential = DefaultAzureCredential()
    if config is None:
        raise invalid("DP100LAB_BACKEND=azure but no workspace config.json was found here or in a parent folder. "
                      "Download it from the Azure portal (workspace overview > Download config.json) into this "
                      "folder or .azureml/, or unset DP100LAB_BACKEND to use the local workspace.")
    ml_client = MLClient.from_config(credential=credential, path=str(config))
    import importlib.util

    if importlib.util.find_spec("azureml.mlflow") is None:  # the plugin for azureml:// tracking URIs
        mlflow_note = "MLflow not pointed at the workspace: pip install azureml-mlflow, then connect again"
    else:
        try:
            import mlflow

            mlflow.set_tracking_uri(ml_client.workspaces.get(ml_client.workspace_name).mlflow_tracking_uri)
            mlflow_note = "MLflow tracking set to the workspace"
        except Exception as e:  # keep the client usable; say what did not work and how to fix it
            mlflow_note = f"MLflow tracking not set ({type(e).__name__}); sign in with `az login` and connect again"
    if not quiet:
        print(f"dp100lab: Azure ML workspace '{ml_client.workspace_name}' (resource group "
              f"'{ml_client.resource_group_name}', config {config}); {mlflow_note}")
    return ml_client


def connect(path: Optional[os.PathLike | str] = None, *, backend: Optional[str] = None, credential: Any = None,
            root: Optional[os.PathLike | str] = None, quiet: bool = False) -> Any:
    """Return an MLClient: Azure when configured (or backend='azure'), else the local workspace.

    The local workspace lives in `root`, $DP100LAB_HOME, or ~/.dp100lab. Prints one line saying which.
    """
    choice = (backend or os.environ.get("DP100LAB_BACKEND") or "auto").strip().lower()
    if choice not in ("auto", "azure", "local"):
        raise invalid(f"DP100LAB_BACKEND='{choice}' is not a backend: use 'azure', 'local', or leave it unset "
                      f"to pick Azure when a workspace config.json is found.")
    config = None if choice == "local" else find_workspace_config(path)
    if choice == "azure" or (choice == "auto" and config is not None):
        return _connect_azure(config, credential, quiet)

    from .client import LocalMLClient

    client = LocalMLClient(root)  # also points MLflow at the store (tracking.use_in_this_process)
    if not quiet:
        print(f"dp100lab: local workspace in {client.store.root} (no Azure workspace configured; "
              f"MLflow tracking: {client.store.mlflow_tracking_uri})")
    return client


def _azure_chosen(path: Optional[os.PathLike | str] = None) -> bool:
    choice = (os.environ.get("DP100LAB_BACKEND") or "auto").strip().lower()
    return choice == "azure" or (choice == "auto" and find_workspace_config(path) is not None)


class MLClient:
    """Drop-in for azure.ai.ml.MLClient: `from dp100lab import MLClient` is the one changed line of a notebook.

    With a workspace configured (config.json found, or DP100LAB_BACKEND=azure) it returns the real MLClient built
    from the same arguments; otherwise the local workspace, keeping the names it was given, so
    `ml_client.workspaces.get(ml_client.workspace_name)` works as it does on Azure.
    """

    def __new__(cls, credential: Any = None, subscription_id: Optional[str] = None,
                resource_group_name: Optional[str] = None, workspace_name: Optional[str] = None,
                registry_name: Optional[str] = None, **kwargs: Any) -> Any:
        if _azure_chosen():
            from azure.ai.ml import MLClient as AzureMLClient

            return AzureMLClient(credential, subscription_id, resource_group_name, workspace_name,
                                 registry_name=registry_name, **kwargs)
        from .client import LocalMLClient

        client = LocalMLClient(kwargs.pop("root", None), subscription_id=subscription_id,
                               resource_group_name=resource_group_name, workspace_name=workspace_name,
                               registry_name=registry_name)
        print(f"dp100lab: local workspace '{client.workspace_name or client.registry_name}' in {client.store.root} "
              f"(no Azure workspace configured; the same code runs on Azure unchanged)")
        return client

    @classmethod
    def from_config(cls, credential: Any = None, *, path: Optional[os.PathLike | str] = None,
                    file_name: Optional[str] = None, **kwargs: Any) -> Any:
        """As MLClient.from_config: the workspace in config.json when there is one, else the local workspace.

        Locally (no config, or DP100LAB_BACKEND=local) the names a config.json gives are kept, so
        ml_client.workspaces.get(ml_client.workspace_name) finds the workspace, as on Azure."""
        if _azure_chosen(path):
            from azure.ai.ml import MLClient as AzureMLClient

            return AzureMLClient.from_config(credential, path=path, file_name=file_name, **kwargs)
        found = find_workspace_config(Path(path) / file_name if path and file_name else path)
        cfg = json.loads(found.read_text(encoding="utf-8")) if found else {}
        return cls(credential, cfg.get("subscription_id"), cfg.get("resource_group"), cfg.get("workspace_name"),
                   root=kwargs.get("root"))
