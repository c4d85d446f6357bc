"""Sweep jobs: Microsoft-style sweep code (SDK builder and `type: sweep` YAML) runs unchanged; Azure's rules at
submission; trials are child jobs; best trial; early termination; a missing metric; a killed trial."""
import json
import signal
import time

import mlflow
import pytest
from azure.ai.ml import command, load_job
from azure.ai.ml.exceptions import ValidationException
from azure.ai.ml.sweep import BanditPolicy, Choice, LogUniform, Normal, QUniform, Uniform

from dp100lab.workspace.core import processes
from dp100lab.workspace.jobs.sweep import policies, space

TRAIN = """
    import argparse, time, mlflow
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float)
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--steps", type=int, default=1)
    a = p.parse_args()
    for step in range(a.steps):
        mlflow.log_metric("{metric}", a.lr * a.depth * (step + 1), step=step)
        time.sleep({pause})
"""


def _job(src, metric="score", pause=0.0, steps=1):
    code = src(TRAIN.replace("{metric}", metric).replace("{pause}", str(pause)))
    return command(code=code, command="python train.py --lr ${{inputs.lr}} --depth ${{inputs.depth}} "
                                      "--steps ${{inputs.steps}}",
                   environment="AzureML-sklearn-1.5@latest", inputs={"lr": 0.1, "depth": 1, "steps": steps})


def _wait(ml_client, name, timeout=900):  # a hang guard for loaded machines, not a timing assertion
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ml_client.jobs.get(name)
        if job.status in ("Completed", "Failed", "Canceled"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"sweep {name} did not finish")


def _children(ml_client, name):
    return {c.name: c for c in ml_client.jobs.list(parent_job_name=name)}


# ---- Azure's rules at submission: nothing is started ------------------------------------------------------------
@pytest.mark.parametrize("algo,params,needle", [
    ("grid", {"lr": Uniform(0.01, 0.1)}, "Grid sampling accepts only choice"),
    ("bayesian", {"lr": Normal(0, 1)}, "Bayesian sampling accepts only choice, uniform, quniform"),
    ("bayesian", {"lr": LogUniform(-4, -1)}, "lr (loguniform)"),
])
def test_a_distribution_the_algorithm_does_not_take_fails_at_submission(ml_client, src, algo, params, needle):
    sweep = _job(src)(**params).sweep(sampling_algorithm=algo, primary_metric="score", goal="Maximize")
    with pytest.raises(ValidationException) as info:
        ml_client.jobs.create_or_update(sweep)
    assert needle in str(info.value) and "sampling_algorithm='random'" in str(info.value)
    assert ml_client.store.list_jobs() == []


def test_bayesian_with_an_early_termination_policy_fails_at_submission(ml_client, src):
    sweep = _job(src)(lr=Uniform(0.01, 0.1)).sweep(sampling_algorithm="bayesian", primary_metric="score",
                                                    goal="Maximize",
                                                    early_termination_policy=BanditPolicy(slack_factor=0.1))
    with pytest.raises(ValidationException, match="does not support early termination"):
        ml_client.jobs.create_or_update(sweep)
    assert ml_client.store.list_jobs() == []


def test_bayesian_with_concurrent_trials_says_azure_advises_fewer(ml_client, src, capsys):
    sweep = _job(src)(lr=Uniform(0.01, 0.1), depth=Choice([1, 2])).sweep(
        sampling_algorithm="bayesian", primary_metric="score", goal="Maximize")
    sweep.set_limits(max_total_trials=2, max_concurrent_trials=2)
    returned = ml_client.jobs.create_or_update(sweep)
    assert "max_concurrent_trials=2" in capsys.readouterr().out
    assert _wait(ml_client, returned.name).status == "Completed"


# ---- a sweep from YAML: children, concurrency, best trial -----------------------------------------------------
SWEEP_YML = """
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
trial:
  code: src
  command: python train.py --lr ${{search_space.lr}} --depth ${{search_space.depth}} --steps 1
  environment: azureml:AzureML-sklearn-1.5@latest
sampling_algorithm:
  type: random
  seed: 3
search_space:
  lr:
    type: uniform
    min_value: 0.01
    max_value: 0.1
  depth:
    type: choice
    values: [1, 2, 3]
objective:
  goal: maximize
  primary_metric: score
limits:
  max_total_trials: 4
  max_concurrent_trials: 2
"""


def test_yaml_sweep_runs_trials_as_children_and_reports_the_best(ml_client, src, home):
    src(TRAIN.replace("{metric}", "score").replace("{pause}", "0"))
    with open("sweep.yml", "w") as f:
        f.write(SWEEP_YML)
    returned = ml_client.jobs.create_or_update(load_job("sweep.yml"))
    assert type(returned).__name__ == "SweepJob"
    done = _wait(ml_client, returned.name)
    assert done.status == "Completed"
    kids = _children(ml_client, returned.name)
    assert sorted(kids) == [f"{returned.name}_{i}" for i in range(4)]
    assert all(k.status == "Completed" for k in kids.values())
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    scores = {n: mlflow.get_run(n).data.metrics["score"] for n in kids}
    for n, k in kids.items():  # each trial ran with the values it was given
        hp = json.loads(k.properties["hyperparameters"])
        assert 0.01 <= hp["lr"] <= 0.1 and hp["depth"] in (1, 2, 3)
        assert scores[n] == pytest.approx(hp["lr"] * hp["depth"])
        assert mlflow.get_run(n).data.tags["mlflow.parentRunId"] == returned.name
    assert done.properties["best_child_run_id"] == max(scores, key=scores.get)
    # never more than max_concurrent_trials at once: trial 2 starts only after trial 0 or 1 ended
    rows = {r["name"]: r for r in ml_client.store.list_jobs(parent=returned.name)}
    ends = sorted(rows[f"{returned.name}_{i}"]["updated_at"] for i in (0, 1))
    assert rows[f"{returned.name}_2"]["created_at"] >= ends[0]


def test_grid_runs_every_combination_once(ml_client, src):
    sweep = _job(src)(lr=Choice([0.1, 0.2]), depth=Choice([1, 3])).sweep(
        sampling_algorithm="grid", primary_metric="score", goal="Minimize")
    sweep.set_limits(max_total_trials=10, max_concurrent_trials=4)
    returned = ml_client.jobs.create_or_update(sweep)
    done = _wait(ml_client, returned.name)
    kids = _children(ml_client, returned.name)
    combos = sorted((json.loads(k.properties["hyperparameters"])["lr"], json.loads(k.properties["hyperparameters"])
                     ["depth"]) for k in kids.values())
    assert combos == [(0.1, 1), (0.1, 3), (0.2, 1), (0.2, 3)]
    best = json.loads(kids[done.properties["best_child_run_id"]].properties["hyperparameters"])
    assert (best["lr"], best["depth"]) == (0.1, 1)  # the goal is Minimize


# ---- early termination, missing metric, killed trial ------------------------------------------------------------
def test_bandit_cancels_the_trial_outside_the_slack(ml_client, src):
    sweep = _job(src, pause=0.8, steps=8)(lr=Choice([1.0, 0.01])).sweep(
        sampling_algorithm="grid", primary_metric="score", goal="Maximize",
        early_termination_policy=BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=2))
    returned = ml_client.jobs.create_or_update(sweep)
    done = _wait(ml_client, returned.name)
    kids = _children(ml_client, returned.name)
    assert kids[f"{returned.name}_0"].status == "Completed"
    assert kids[f"{returned.name}_1"].status == "Canceled"
    assert done.status == "Completed" and done.properties["best_child_run_id"] == f"{returned.name}_0"
    log = (ml_client.store.job_dir(returned.name) / "user_logs" / "std_log.txt").read_text()
    assert f"trial {returned.name}_1 early-terminated: Bandit policy" in log


def test_a_primary_metric_never_logged_runs_every_trial_and_completes_without_a_best(ml_client, src):
    # one at a time: the second trial must still start after the first completed without the metric
    sweep = _job(src, metric="accuracy")(lr=Choice([0.1, 0.2])).sweep(
        sampling_algorithm="grid", primary_metric="AUC", goal="Maximize")
    sweep.set_limits(max_concurrent_trials=1)
    returned = ml_client.jobs.create_or_update(sweep)
    done = _wait(ml_client, returned.name)
    assert done.status == "Completed" and "best_child_run_id" not in (done.properties or {})
    assert {n: k.status for n, k in _children(ml_client, returned.name).items()} == {
        f"{returned.name}_0": "Completed", f"{returned.name}_1": "Completed"}
    log = (ml_client.store.job_dir(returned.name) / "user_logs" / "std_log.txt").read_text()
    assert "2 of 2 completed trials never logged the primary metric 'AUC' (they logged: accuracy)" in log
    assert "no best_child_run_id" in log and "mlflow.log_metric('AUC', value)" in log


def test_a_killed_trial_fails_alone_and_the_sweep_finishes(ml_client, src):
    sweep = _job(src, pause=1.0, steps=30)(lr=Choice([0.1, 0.2])).sweep(
        sampling_algorithm="grid", primary_metric="score", goal="Maximize")
    sweep.set_limits(max_concurrent_trials=2)
    returned = ml_client.jobs.create_or_update(sweep)
    victim = f"{returned.name}_0"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:  # wait until the victim's script is running
        row = ml_client.store.get_job(victim)
        if row and row["status"] == "Running" and processes.role_alive(ml_client.store.job_dir(victim), "script"):
            break
        time.sleep(0.2)
    processes.kill_role(ml_client.store.job_dir(victim), "script", signal.SIGKILL)
    done = _wait(ml_client, returned.name)
    kids = _children(ml_client, returned.name)
    assert kids[victim].status == "Failed" and kids[f"{returned.name}_1"].status == "Completed"
    assert done.status == "Completed" and done.properties["best_child_run_id"] == f"{returned.name}_1"


# ---- the rules themselves (pure functions) -----------------------------------------------------------------------
def test_bandit_rules_as_documented():
    h = {"best": [0.5, 0.8], "close": [0.5, 0.74], "far": [0.5, 0.70]}
    p = {"type": "bandit", "slack_factor": 0.1, "evaluation_interval": 1, "delay_evaluation": 0}
    assert policies.should_stop(p, "close", 2, h, True) is None          # 0.74 >= 0.8 / 1.1 = 0.727
    assert "Bandit" in policies.should_stop(p, "far", 2, h, True)
    amount = {"type": "bandit", "slack_amount": 0.05, "evaluation_interval": 1}
    assert policies.should_stop(amount, "close", 2, h, True) is not None  # 0.74 < 0.8 - 0.05
    delayed = dict(p, delay_evaluation=3)
    assert policies.should_stop(delayed, "far", 2, h, True) is None       # not yet evaluated
    every2 = dict(p, evaluation_interval=2, delay_evaluation=0)
    assert policies.should_stop(every2, "far", 1, {"best": [0.9], "far": [0.1]}, True) is None


def test_median_and_truncation_rules():
    h = {"a": [0.9, 0.9], "b": [0.8, 0.85], "c": [0.2, 0.3]}
    med = {"type": "median_stopping", "evaluation_interval": 1}
    assert policies.should_stop(med, "c", 2, h, True) is not None
    assert policies.should_stop(med, "a", 2, h, True) is None
    trunc = {"type": "truncation_selection", "truncation_percentage": 34, "evaluation_interval": 1}
    assert policies.should_stop(trunc, "c", 2, h, True) is not None       # lowest 34% of 3 = 1 trial
    assert policies.should_stop(trunc, "b", 2, h, True) is None
    assert policies.should_stop(trunc, "a", 2, h, False) is not None      # minimize: the highest is worst


def test_distributions_draw_in_their_documented_ranges():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    spec = {"q": QUniform(0, 10, 2)._to_rest_object(), "log": ["loguniform", [-3, 0]]}
    assert spec["q"] == ["quniform", [0, 10, 2]]
    draws = []
    for _ in range(200):
        t = study.ask()
        draws.append((space.suggest(t, "q", {"type": "quniform", "min_value": 0, "max_value": 10, "q": 2}),
                      space.suggest(t, "log", {"type": "loguniform", "min_value": -3, "max_value": 0}),
                      space.suggest(t, "n", {"type": "normal", "mu": 10, "sigma": 3}),
                      space.suggest(t, "r", {"type": "randint", "upper": 4})))
    assert {d[0] for d in draws} <= {0, 2, 4, 6, 8, 10}
    assert all(0.0497 <= d[1] <= 1.0 for d in draws)                      # e**-3 .. e**0
    normals = [d[2] for d in draws]
    assert 9 < sum(normals) / len(normals) < 11 and min(normals) < 7 and max(normals) > 13
    assert {d[3] for d in draws} == {0, 1, 2, 3}


# ---- limits: a trial's own timeout, the sweep's timeout ---------------------------------------------------------
# The SDK raises a sweep timeout or trial_timeout under 60 s to 60 s (job_limits._get_floored_timeout: the service
# rounds shorter durations badly), so the limits below take effect at 60 s.
def test_trial_timeout_fails_only_the_slow_trial(ml_client, src):
    sweep = _job(src, pause=1.0)(lr=0.1, steps=Choice([1, 90])).sweep(
        sampling_algorithm="grid", primary_metric="score", goal="Maximize")
    sweep.set_limits(max_concurrent_trials=2, trial_timeout=20)
    assert sweep.limits.trial_timeout == 60
    done = _wait(ml_client, ml_client.jobs.create_or_update(sweep).name)
    kids = {json.loads(k.properties["hyperparameters"])["steps"]: k for k in _children(ml_client, done.name).values()}
    assert kids[1].status == "Completed" and kids[90].status == "Failed"
    assert json.loads(ml_client.store.get_job(kids[90].name)["error"])["code"] == "JobTimeout"
    assert done.status == "Completed" and done.properties["best_child_run_id"] == kids[1].name


def test_sweep_timeout_cancels_the_running_trials_and_keeps_the_sweep_record(ml_client, src):
    sweep = _job(src, pause=1.0, steps=120)(lr=Choice([0.1, 0.2])).sweep(
        sampling_algorithm="grid", primary_metric="score", goal="Maximize")
    sweep.set_limits(max_concurrent_trials=2, timeout=15)
    done = _wait(ml_client, ml_client.jobs.create_or_update(sweep).name)
    assert done.status == "Canceled"
    error = json.loads(ml_client.store.get_job(done.name)["error"])
    assert error["code"] == "SweepTimeout" and "limits.timeout of 60 seconds" in error["message"]
    assert {k.status for k in _children(ml_client, done.name).values()} == {"Canceled"}
