"""What ml_client.data, .models and .environments share locally: versioned assets in the store.

As azure-ai-ml 1.35: get() needs a version or a label (not both; the only label is 'latest'); list() shows every
version of one name, or the newest version of each name, filtered by ListViewType; archive/restore take a version
or a label, and no version means the whole asset. Subclasses set KIND, ENTITY and HINT and override the hooks
(_find, _missing, _check_archivable) where their kind differs.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from azure.ai.ml.constants import ListViewType
from azure.ai.ml.exceptions import ValidationErrorType

from ..core.errors import already_exists, invalid, not_found
from ..core.specs import from_row


class VersionedAssetOperations:
    KIND: str = ""
    ENTITY: type = object
    HINT: str = ""  # the fix named when get() finds nothing, e.g. how to register the asset

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    @property
    def _group(self) -> str:
        return {"data": "data", "model": "models", "environment": "environments"}.get(self.KIND, self.KIND)

    def _entity(self, row: dict) -> Any:
        return from_row(self.ENTITY, row, self._client)

    def _create(self, asset: Any, spec: dict, fix: str, *, cls: type, reuse_latest: bool = False,
                compare: Any = None) -> tuple[dict, bool]:
        """Insert the asset's version atomically (the next integer one when none is given); (row, created).
        An existing version with the same content is returned as is; with other content, ResourceExistsError
        naming `fix` ({path} is the registered path)."""
        from ..core.specs import check_loads
        from ..core.store import VersionConflict

        body = {k: v for k, v in spec.items() if k not in ("version", "id")}
        compare = compare or (lambda stored: stored.get("path") == body.get("path"))

        def make(version: str) -> dict:
            return check_loads(cls, {**body, "version": version})

        version = str(asset.version) if asset.version else None
        try:
            return self._store.create_version(self.KIND, asset.name, version, make,
                                                       same=compare, reuse_latest=reuse_latest, tags=asset.tags)
        except VersionConflict as e:
            raise already_exists(self.KIND, asset.name, e.row["version"],
                                 fix.format(path=e.row["spec"].get("path"))) from None

    # ---- read -----------------------------------------------------------------------------------
    def _find(self, name: str, version: Optional[str], label: Optional[str]) -> Optional[dict]:
        return self._store.get(self.KIND, name, version=version, label=label)

    def _missing(self, name: str, version: Optional[str], label: Optional[str], hint: Optional[str] = None) -> Any:
        """Nothing stored under name/version: raise ResourceNotFoundError listing the versions there are."""
        rows = self._store.list(self.KIND, name, include_archived=True)
        versions = [r["version"] for r in rows]
        if rows and all(r["archived"] for r in rows) and (label or version in versions):
            hint = (f"'{name}' is archived. Restore it with ml_client.{self._group}.restore(name='{name}'"
                    + (f", version='{version}')" if version else ")") + ", or get an exact version (archived "
                    "versions stay readable by version).")
        raise not_found(self.KIND, name, version or label,
                        available=[f"{name}:{v}" for v in versions] or self._store.names(self.KIND),
                        hint=hint or self.HINT)

    def get(self, name: str, version: Optional[str] = None, label: Optional[str] = None) -> Any:
        version = str(version) if version is not None else None  # Azure takes version=44 as well as "44"
        if version and label:
            raise invalid("Cannot specify both version and label.", kind=self.KIND)
        if not version and not label:
            raise invalid("Must provide either version or label. For the newest version use label='latest'.",
                          kind=self.KIND, error_type=ValidationErrorType.MISSING_FIELD)
        if label and label != "latest":
            raise invalid(f"Asset {name} with version label {label} does not exist in workspace. The only label is "
                          f"'latest'.", kind=self.KIND, error_type=ValidationErrorType.RESOURCE_NOT_FOUND)
        row = self._find(name, version, label)
        if row is None:
            return self._missing(name, version, label)
        return self._entity(row)

    @staticmethod
    def _archived_only(list_view_type: Any) -> Optional[bool]:
        """False for ACTIVE_ONLY, True for ARCHIVED_ONLY, None (no filter) for ALL."""
        return {ListViewType.ACTIVE_ONLY: False, ListViewType.ARCHIVED_ONLY: True}.get(list_view_type)

    def _list_rows(self, name: Optional[str], list_view_type: Any, keep: Any = None) -> list[dict]:
        """Rows in the view (and passing keep(row)); the newest of each name when name is None."""
        archived = self._archived_only(list_view_type)
        rows = self._store.list(self.KIND, name, include_archived=True)
        if archived is not None:
            rows = [r for r in rows if r["archived"] == archived]
        if keep is not None:
            rows = [r for r in rows if keep(r)]
        if name is None:
            seen: set[str] = set()
            rows = [r for r in rows if not (r["name"] in seen or seen.add(r["name"]))]
        return rows

    def list(self, name: Optional[str] = None, *,
             list_view_type: ListViewType = ListViewType.ACTIVE_ONLY) -> Iterable[Any]:
        """All versions of `name`, or the newest version of each asset when name is None."""
        return self._listed(self._list_rows(name, list_view_type), name)

    def _listed(self, rows: list[dict], name: Optional[str]) -> list[Any]:
        """Entities for list(): with no name Azure lists containers, entities whose version is None and whose
        latest_version names the newest version (the SDK's _from_container_rest_object); with a name, versions."""
        found = []
        for row in rows:
            entity = self._entity(row)
            if name is None:
                entity.latest_version, entity.version = row["version"], None
            found.append(entity)
        return found

    # ---- archive --------------------------------------------------------------------------------
    def _check_archivable(self, name: str, version: Optional[str], label: Optional[str]) -> None:
        if version and label:
            raise invalid("Cannot specify both version and label.", kind=self.KIND)

    def _archive(self, name: str, version: Optional[str], label: Optional[str], flag: bool) -> None:
        self._check_archivable(name, version, label)
        if label:
            version = self.get(name, label=label).version
        if not self._store.set_archived(self.KIND, name, version, flag):
            raise not_found(self.KIND, name, version, available=self._store.names(self.KIND))

    def archive(self, name: str, version: Optional[str] = None, label: Optional[str] = None, **kwargs: Any) -> None:
        """Archive one version, or the whole asset (all versions) when no version is given."""
        self._archive(name, version, label, True)

    def restore(self, name: str, version: Optional[str] = None, label: Optional[str] = None, **kwargs: Any) -> None:
        self._archive(name, version, label, False)
