"""Microsoft-style notebooks run unchanged on the local workspace, with only the MLClient import changed.

tests/fidelity/notebooks/ holds small original notebooks written the way Microsoft's SDK v2 documentation writes
each flow (workspace and data, command job, AutoML, sweep, pipeline and schedule, online endpoint, batch endpoint).
Their first code cell builds the client as Microsoft's samples do, `MLClient(DefaultAzureCredential(),
subscription_id, resource_group, workspace)`, with `from dp100lab import MLClient` as the one changed line.

Each notebook runs headless (dp100lab.labs.execute.run_notebook) in a copy laid out like the repository, so its
`../../../datasets` paths resolve, on a fresh store of its own. A test asserts that every cell ran without an error,
then reads the store and the cell outputs for what the flow must have produced. Timing is measured in bench/, not
here; each test runs under the suite's watchdog (tests/conftest.py).
"""
from __future__ import annotations

import re
import shutil
from ast import literal_eval
from pathlib import Path

import nbformat
import pytest

from dp100lab.labs.execute import run_notebook

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "notebooks"
NOTEBOOKS = sorted(p.name for p in HERE.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell: the AutoML and sweep cells run real (tiny) searches
FAKE_KEY = "FakeKey0nly4Tests"  # the account key notebook 01 gives a datastore: no output may show it
CLIENT_LINE = "ml_client = MLClient(DefaultAzureCredential(), subscription_id, resource_group, workspace)"


def _stage(tmp: Path) -> Path:
    """A copy of the notebooks at tmp/tests/fidelity/notebooks with tmp/datasets linked to the real one."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "datasets").symlink_to(ROOT / "datasets", target_is_directory=True)
    folder = tmp / "tests" / "fidelity" / "notebooks"
    shutil.copytree(HERE, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return folder


def _text(nb) -> str:
    """Everything the notebook printed (stream output and text/plain results), in cell order. A cell's stdout is
    joined without separators: ipykernel flushes on a timer, so one print can arrive as two stream outputs split
    mid-line (CI once got 'latest version:' and ' 2 | ...' apart), and stderr notes may come in between."""
    parts = []
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for name in ("stdout", "stderr"):
            parts.append("".join(o.get("text", "") for o in outputs
                                 if o.get("output_type") == "stream" and o.get("name") == name))
        parts += [o.get("data", {}).get("text/plain", "") for o in outputs if o.get("output_type") != "stream"]
    return "\n".join(parts)


def _value(text: str, label: str) -> str:
    found = re.findall(rf"^{re.escape(label)}:? (.*)$", text, flags=re.M)
    assert found, f"no output line starting with {label!r}"
    return found[-1].strip()


@pytest.fixture
def ran(tmp_path):
    """Run one notebook on its own store; returns (executed notebook, all its output text, the store)."""
    from dp100lab.workspace.core import servers
    from dp100lab.workspace.core.store import Store

    home = tmp_path / "home"
    folder = _stage(tmp_path / "copy")
    stores = []

    def run(name: str):
        result = run_notebook(folder / name, timeout=CELL_TIMEOUT,
                              env={"DP100LAB_HOME": str(home), "DP100LAB_BACKEND": "local"})
        failures = [f"cell {e.index}: {e.last_line}\n    {e.first_line}" for e in result.errors]
        assert result.ok, f"{name} did not run clean:\n" + "\n".join(failures + [result.aborted or ""])
        stores.append(Store(home))
        return result.notebook, _text(result.notebook), stores[-1]

    yield run
    for store in stores:  # a scheduler or an endpoint server outlives its kernel by design: end this test's own
        servers.stop_all(store)


def _jobs(store, **filters) -> list[dict]:
    return [j for j in store.list_jobs() if all(j.get(k) == v for k, v in filters.items())]


def test_every_notebook_builds_the_client_as_microsoft_does():
    assert NOTEBOOKS, "tests/fidelity/notebooks/ holds no notebooks"
    for name in NOTEBOOKS:
        code = [c.source for c in nbformat.read(HERE / name, as_version=4).cells if c.cell_type == "code"]
        first = code[0]
        assert "from dp100lab import MLClient" in first and CLIENT_LINE in first, name
        assert "from azure.identity import DefaultAzureCredential" in first, name
        assert not any("dp100lab" in c for c in code[1:]), f"{name}: only the first cell may name dp100lab"


def test_notebooks_call_only_what_the_real_mlclient_has():
    from test_portability import calls, problem  # the course's portability check, applied to these notebooks

    wrong = [f"{name} cell {i} line {line}: {'.'.join(chain)}: {why}"
             for name in NOTEBOOKS for i, line, chain, kws in calls(HERE / name)
             if (why := problem(chain, kws))]
    assert not wrong, "\n".join(wrong)


def test_workspace_compute_datastores_data_environments(ran):
    nb, text, store = ran("01_workspace_compute_data_environments.ipynb")
    assert _value(text, "workspace").startswith("<AML_WORKSPACE_NAME> ")  # the name given to MLClient is kept
    assert _value(text, "computes left") == "['cpu-cluster']"
    assert FAKE_KEY not in text and "FakeSignatureForTests" not in text, "a datastore secret was printed"
    assert _value(text, "partner_drop still there") == "False"
    assert {"clinic_exports", "curated_lake"} <= set(store.names("datastore"))
    assert _value(text, "latest version").startswith("2 ")
    assert _value(text, "table shape") == "(2000, 9)"  # four exports, PatientID dropped by the MLTable
    assert _value(text, "active versions") == "['2']" and _value(text, "after restore") == "['1', '2']"
    assert {"ubuntu-openmpi", "diabetes-train-env", "diabetes-docker-env"} <= set(store.names("environment"))
    assert _value(text, "curated").startswith("AzureML-sklearn-1.0-ubuntu20.04-py38-cpu")
    # no name: one container per asset, version None and latest_version the newest, as Azure lists them
    assert "container: diabetes-patients latest 2 | version field: None" in text
    # Input(path=<asset id>) reaches the script as the asset's file
    assert _value(text, "count job") == "Completed" and int(_value(text, "rows read")) > 0


def test_command_job_with_mlflow_and_model_registration(ran):
    nb, text, store = ran("02_command_job_mlflow.ipynb")
    (job,) = _jobs(store, type="command")
    assert job["status"] == "Completed" and _value(text, "status") == "Completed"
    assert 0.6 < float(_value(text, "test_auc")) <= 1.0
    assert "MLmodel" in literal_eval(_value(text, "model files"))
    assert "input rows: 2000" in text  # the job's log, streamed into the notebook
    registered = {m["name"] for m in store.list("model")} | set(re.findall(r"\('([\w-]+)', '\d+'\)", text))
    assert {"diabetes-gbc", "diabetes-gbc-output"} <= registered
    predictions = literal_eval(_value(text, "predictions"))
    assert len(predictions) == 5 and set(predictions) <= {0, 1}


def test_automl_classification(ran):
    nb, text, store = ran("03_automl_classification.ipynb")
    (parent,) = _jobs(store, type="automl")
    assert parent["status"] == "Completed" and _value(text, "status") == "Completed"
    children = _jobs(store, parent=parent["name"])
    assert 1 <= len(children) <= 3 + 1  # max_trials=3 (a setup child may come with them, as on Azure)
    assert 0.5 < float(_value(text, "best AUC_weighted")) <= 1.0
    assert len(literal_eval(_value(text, "predictions"))) == 5


def test_sweep_job_with_early_termination(ran):
    nb, text, store = ran("04_sweep_job.ipynb")
    (sweep,) = _jobs(store, type="sweep")
    assert sweep["status"] == "Completed" and _value(text, "status") == "Completed"
    trials = _jobs(store, parent=sweep["name"])
    assert len(trials) == 4 and all(t["status"] in ("Completed", "Canceled") for t in trials)
    best = _value(text, "best trial").split(" ")[0]
    assert best in {t["name"] for t in trials}
    assert "diabetes-gbc-tuned" in store.names("model")


def test_pipeline_of_components_and_a_disabled_schedule(ran):
    nb, text, store = ran("05_pipeline_components_schedule.ipynb")
    pipelines = _jobs(store, type="pipeline")
    assert len(pipelines) == 1, f"one pipeline was submitted and no schedule may fire: {pipelines}"
    pipeline = pipelines[0]
    assert pipeline["status"] == "Completed" and _value(text, "pipeline status") == "Completed"
    steps = _jobs(store, parent=pipeline["name"])
    assert len(steps) == 2 and {s["status"] for s in steps} == {"Completed"}
    assert {"diabetes_prep_data", "diabetes_train_model"} <= set(store.names("component"))
    assert "MLmodel" in literal_eval(_value(text, "model files"))  # the pipeline output, downloaded by name
    assert _value(text, "kept, disabled") == "True"
    assert _value(text, "enabled schedules") == "[]"


def test_managed_online_endpoint(ran):
    from dp100lab.workspace.core import servers

    nb, text, store = ran("06_online_endpoint.ipynb")
    assert _value(text, "local deployment") == "Succeeded"  # local=True, model=registered.id
    for who in ("local", "blue", "green", "endpoint"):
        answer = literal_eval(_value(text, f"{who} answered"))
        assert len(answer) == 2 and all(0.0 <= p <= 1.0 for p in answer), (who, answer)
    assert _value(text, "traffic") == "{'green': 100}"  # blue deleted after the switch
    assert int(_value(text, "log lines")) > 0
    assert _value(text, "endpoints left") == "[]"
    assert not [s for s in servers.list_servers(store) if s.kind != "scheduler"], "deleting left a server running"


def test_batch_endpoint(ran):
    nb, text, store = ran("07_batch_endpoint.ipynb")
    assert _value(text, "job status") == "Completed"
    assert _value(text, "rows scored") == "120"
    assert literal_eval(_value(text, "rows per file")) == {f"patients-{i}.csv": 30 for i in range(4)}
    assert _value(text, "batch endpoints left") == "[]"
