"""The sweep's scheduler loop, inside the sweep job's runner process.

Asks Optuna for each trial's values, submits the trial as a child command job, keeps max_concurrent_trials
running, applies the early termination policy to what the trials log, and tells Optuna each result so Bayesian
sampling learns from it. The parent's log (jobs.stream) says what happens, trial by trial.

A trial that never logs the primary metric is not an error on Azure: the docs only require the script to log the exact
name, and a sweep whose trials miss it still runs every trial and completes, with N/A for the metric and no best trial
(as reported on Microsoft's own Learn lab, mslearn-azure-ml PR 51). So the sweep goes on and completes here too, and
its log says which metrics the trials did log.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Optional

from ...core.store import TERMINAL_STATUSES
from .. import recovery
from . import policies, space as spaces

_POLL_S = 0.2


class Scheduler:
    def __init__(self, store: Any, plan: Any, cfg: dict):
        self.store, self.plan, self.cfg = store, plan, cfg
        self.metric = cfg["objective"]["primary_metric"]
        self.maximize = cfg["objective"]["goal"].startswith("max")
        self.policy = cfg.get("policy")
        self.trials: dict[str, dict] = {}   # child name -> {"params", "otrial", "status", "value", "checked"}
        Path(plan.log).parent.mkdir(parents=True, exist_ok=True)
        self.log = open(plan.log, "a", buffering=1)

    def say(self, text: str) -> None:
        self.log.write(f"[{time.strftime('%H:%M:%S')}] {text}\n")

    # ---- the loop --------------------------------------------------------------------------------------
    def run(self) -> tuple[str, Optional[dict]]:
        import optuna

        from ...client import LocalMLClient

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.client = LocalMLClient(self.store.root, hold=False, set_mlflow=False)
        from ...core import tracking

        self.mlc = tracking.client(self.store)
        cfg = self.cfg
        self.study = optuna.create_study(direction="maximize" if self.maximize else "minimize",
                                         sampler=spaces.make_sampler(cfg["sampling"]))
        grid = spaces.grid(cfg["search_space"]) if cfg["sampling"]["type"] == "grid" else None
        total, concurrent = cfg["max_total_trials"], cfg["max_concurrent_trials"]
        self.say(f"Sweep {self.plan.name}: {cfg['sampling']['type']} sampling, up to {total} trials, "
                 f"{concurrent} at a time, {'maximize' if self.maximize else 'minimize'} '{self.metric}'"
                 + (f", early termination: {self.policy['type']}" if self.policy else ""))
        started, launched = time.monotonic(), 0
        timeout = float(cfg["timeout"]) if cfg.get("timeout") else None
        while True:
            if self.store.get_job(self.plan.name)["status"] == "CancelRequested":
                self._cancel_running("the sweep was canceled")
                return "Canceled", None
            if timeout and time.monotonic() - started > timeout:
                self._cancel_running(f"the sweep reached limits.timeout ({timeout:g} s)")
                self.say(f"limits.timeout of {timeout:g} s reached: running trials canceled, no new trials.")
                self._report()
                return "Canceled", {"code": "SweepTimeout", "message": (
                    f"The sweep exceeded its limits.timeout of {timeout:g} seconds; its running trials were canceled. "
                    f"Completed trials are kept. Raise limits.timeout or lower max_total_trials.")}
            self._poll()
            running = [n for n, t in self.trials.items() if t["status"] not in TERMINAL_STATUSES]
            more = launched < total
            while more and len(running) < concurrent:
                name = self._launch(launched, grid)
                running.append(name)
                launched += 1
                more = launched < total
            if not running and not more:
                break
            time.sleep(_POLL_S)
        return self._finish()

    def _launch(self, index: int, grid: Optional[list]) -> str:
        from azure.ai.ml import Input, Output
        from azure.ai.ml.entities import CommandJob, CommandJobLimits

        from ..submit import submit

        otrial = self.study.ask()
        if grid is not None:
            params = grid[index]
        else:
            params = {n: spaces.suggest(otrial, n, d) for n, d in self.cfg["search_space"].items()}
        t = self.cfg["trial"]
        command = t["command"]
        command = re.sub(r"\$\{\{\s*search_space\.(\w+)\s*\}\}", lambda m: str(params[m.group(1)]),
                         command)
        inputs = {k: (Input(type=v["type"], path=v["path"], **({"mode": v["mode"]} if v.get("mode") else {}))
                      if isinstance(v, dict) else v) for k, v in t["inputs"].items()}
        env = t["environment"]
        if isinstance(env, dict):
            from azure.ai.ml.entities import Environment

            from ... import _sdk

            env = _sdk.entity_load(Environment, env)
        job = CommandJob(
            name=f"{self.plan.name}_{index}", display_name=f"{self.plan.name}_{index}", command=command,
            code=t["code"], environment=env, environment_variables=t["environment_variables"], inputs=inputs,
            outputs={k: Output(type=v["type"]) for k, v in t["outputs"].items()}, compute=t["compute"],
            properties={"hyperparameters": json.dumps(params)},
            limits=CommandJobLimits(timeout=int(self.cfg["trial_timeout"])) if self.cfg.get("trial_timeout") else None)
        name = submit(self.client, job, parent=self.plan.name)
        self.trials[name] = {"params": params, "otrial": otrial, "status": "Starting", "value": None,
                             "history": [], "checked": 0, "stopped": None}
        self.say(f"trial {name} started: {json.dumps(params)}")
        return name

    # ---- watching the trials ---------------------------------------------------------------------------------
    def _history(self, name: str) -> list:
        try:
            h = self.mlc.get_metric_history(name, self.metric)
        except Exception:
            return []
        return [m.value for m in sorted(h, key=lambda m: (m.step, m.timestamp))]

    def _poll(self) -> None:
        """Update every unfinished trial and apply the policy."""
        for name, t in self.trials.items():
            if t["status"] in TERMINAL_STATUSES:
                continue
            row = recovery.check(self.store, self.store.get_job(name))
            if self.policy:  # only a policy reads unfinished trials' metrics: without one, no query per poll
                t["history"] = self._history(name)
            if self.policy and t["stopped"] is None and row["status"] == "Running":
                self._apply_policy(name, t)
            if row["status"] in TERMINAL_STATUSES:
                t["status"] = row["status"]
                t["history"] = self._history(name)
                t["value"] = t["history"][-1] if t["history"] else None
                self._tell(t)
                extra = f" ({t['stopped']})" if t["stopped"] else ""
                shown = f"{self.metric}={t['value']:.4g}" if t["value"] is not None else f"no '{self.metric}' logged"
                self.say(f"trial {name} {t['status']}: {shown}{extra}")

    def _apply_policy(self, name: str, t: dict) -> None:
        histories = {n: x["history"] for n, x in self.trials.items() if x["history"]}
        finished = frozenset(n for n, x in self.trials.items() if x["status"] in TERMINAL_STATUSES) \
            if self.policy.get("exclude_finished_jobs") else frozenset()
        while t["checked"] < len(t["history"]):
            t["checked"] += 1
            why = policies.should_stop(self.policy, name, t["checked"], histories, self.maximize, finished)
            if why:
                t["stopped"] = why
                self.say(f"trial {name} early-terminated: {why}")
                self.client.jobs.begin_cancel(name)  # as Azure: the trial is canceled, its logged metrics kept
                return

    def _tell(self, t: dict) -> None:
        from optuna.trial import TrialState

        try:
            if t["status"] == "Completed" and t["value"] is not None:
                self.study.tell(t["otrial"], t["value"])
            elif t["stopped"]:
                self.study.tell(t["otrial"], state=TrialState.PRUNED)
            else:
                self.study.tell(t["otrial"], state=TrialState.FAIL)
        except Exception:  # a grid trial told twice, or Optuna refusing a value: sampling goes on
            pass

    def _cancel_running(self, why: str) -> None:
        for name, t in self.trials.items():
            if t["status"] not in TERMINAL_STATUSES:
                t["stopped"] = why
                self.client.jobs.begin_cancel(name)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
                self.store.get_job(n)["status"] not in TERMINAL_STATUSES for n in self.trials):
            time.sleep(_POLL_S)
        self._poll()

    # ---- the result ---------------------------------------------------------------------------------------
    def _best(self) -> Optional[str]:
        done = [(n, t["value"]) for n, t in self.trials.items() if t["status"] == "Completed" and t["value"] is not None]
        if not done:
            return None
        return (max if self.maximize else min)(done, key=lambda nv: nv[1])[0]

    def _report(self) -> Optional[str]:
        """Azure puts the best trial's name in the parent's properties['best_child_run_id']."""
        best = self._best()
        if best is None:
            return None
        row = self.store.get_job(self.plan.name)
        props = row["spec"]["properties"].setdefault("properties", {})
        props["best_child_run_id"] = best
        props["score"] = str(self.trials[best]["value"])
        self.store.update_job(self.plan.name, spec=row["spec"])
        self.mlc.set_tag(self.plan.run_id, "best_child_run_id", best)
        self.mlc.log_metric(self.plan.run_id, self.metric, self.trials[best]["value"])
        self.say(f"best trial: {best} with {self.metric}={self.trials[best]['value']:.4g} "
                 f"{json.dumps(self.trials[best]['params'])}")
        return best

    def _finish(self) -> tuple[str, Optional[dict]]:
        best = self._report()
        unscored = [n for n, t in self.trials.items() if t["status"] == "Completed" and t["value"] is None]
        if best is None and not unscored:
            msg = (f"Every trial of the sweep failed ({len(self.trials)}). See a trial's log: "
                   f"ml_client.jobs.stream('{next(iter(self.trials), self.plan.name)}').")
            self.say(msg)
            return "Failed", {"code": "UserError", "message": msg}
        if unscored:
            logged = sorted({k for n in unscored for k in self._logged(n)})
            self.say(f"warning: {len(unscored)} of {len(self.trials)} completed trials never logged the primary metric "
                     f"'{self.metric}' (they logged: {', '.join(logged) or 'no metrics'}); they show N/A and are not "
                     f"compared" + ("" if best else ", so the sweep has no best trial (no best_child_run_id)") +
                     f". The name is case-sensitive: log it with mlflow.log_metric('{self.metric}', value), or set "
                     f"primary_metric to one of the logged names.")
        return "Completed", None

    def _logged(self, name: str) -> list:
        try:
            return list(self.mlc.get_run(name).data.metrics)
        except Exception:
            return []
