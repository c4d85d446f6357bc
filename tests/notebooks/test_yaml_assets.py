"""Every Azure ML spec (YAML with a $schema) shipped with the course loads with azure-ai-ml's own loaders.

The learner runs `load_job("src/05/job.yml")` or `az ml job create -f ...` on these files, so a spec that
the SDK rejects is a broken lesson. Files without an Azure ML `$schema` (conda files, MLTable) are skipped.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from azure.ai.ml import load_component, load_data, load_environment, load_job, load_model

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("notebooks", "solutions", "labs", "datasets")
SCHEMA_HOST = "azuremlschemas.azureedge.net"

# $schema file name (lower case, without .schema.json) -> the loader azure-ai-ml uses for it
LOADERS = {
    "commandjob": load_job,
    "sweepjob": load_job,
    "pipelinejob": load_job,
    "autojob": load_job,
    "sparkjob": load_job,
    "environment": load_environment,
    "data": load_data,
    "model": load_model,
    "commandcomponent": load_component,
    "parallelcomponent": load_component,
    "pipelinecomponent": load_component,
    "sparkcomponent": load_component,
}


def _specs() -> list[Path]:
    found = []
    for folder in FOLDERS:
        base = ROOT / folder
        if base.is_dir():
            found += [p for p in sorted(base.rglob("*.y*ml")) if p.suffix in (".yml", ".yaml")
                      and ".ipynb_checkpoints" not in p.parts]
    return [p for p in found if SCHEMA_HOST in (_schema(p) or "")]


def _schema(path: Path) -> str | None:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None
    return doc.get("$schema") if isinstance(doc, dict) else None


def _loader(schema: str):
    kind = schema.rstrip("/").rsplit("/", 1)[-1].lower().replace(".schema.json", "").replace(".json", "")
    return LOADERS.get(kind), kind


# Specs named *broken* carry the deliberate mistakes of a module's "fix it" exercise: they must NOT load cleanly.
BROKEN = [p for p in _specs() if "broken" in p.name]
SPECS = [p for p in _specs() if p not in BROKEN]


def test_course_ships_azure_ml_specs():
    # modules 03 and 05 ship an environment and a command job spec; if these vanish the test below tests nothing
    kinds = {_loader(_schema(p))[1] for p in SPECS}
    assert {"environment", "commandjob"} <= kinds, f"found only {sorted(kinds)}"


@pytest.mark.parametrize("path", SPECS, ids=[str(p.relative_to(ROOT)) for p in SPECS])
def test_spec_loads_with_azure_ai_ml(path: Path):
    loader, kind = _loader(_schema(path))
    assert loader is not None, f"{path.relative_to(ROOT)}: no azure-ai-ml loader known for $schema kind '{kind}'"
    entity = loader(source=str(path))
    # the loaded entity is of the kind the schema announces (a job is a job, an environment an environment)
    assert type(entity).__module__.startswith("azure.ai.ml.entities")
    if loader is load_job:
        assert entity.type in {"command", "sweep", "pipeline", "automl", "spark"}
    if loader is load_environment:
        assert entity.name and (entity.image or entity.build), "an environment needs an image or a build context"


def test_deliberately_broken_job_spec_is_refused_by_the_sdk():
    # module 05's exercise: the learner reads this error and fixes the input type (uri_files is not a type)
    for path in (p for p in BROKEN if p.name == "job-broken.yml"):
        with pytest.raises(Exception, match="uri_files"):
            load_job(source=str(path))
    assert any(p.name == "job-broken.yml" for p in BROKEN)
