"""Batch endpoint scaling: a job over 1,000 small files with 2 worker processes vs 1, in one run.

    .venv/bin/python bench/batch_scaling.py [FILES] [REPEAT]

Same deployment settings but max_concurrency_per_instance (1, then 2); wall time from invoke() to Completed, the
median of REPEAT (default 3) alternating pairs of jobs.
Target: concurrency 2 takes at most 0.6x the single-worker time. Each file costs a few ms of CPU in run(), as a
small model's predict would. Writes bench/results/batch_scaling.json.
"""
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine  # noqa: E402

SCORE = """
import math
def init():
    pass
def run(mini_batch):
    out = []
    for path in mini_batch:
        values = [float(x) for x in open(path).read().split()]
        acc = 0.0
        for i in range(20000):   # ~ a small model's predict per file
            acc += math.sin(i * values[0])
        out.append(f"{path.rsplit('/', 1)[-1]},{acc:.3f}")
    return out
"""


def main(files: int = 1000, repeat: int = 3) -> dict:
    from azure.ai.ml import Input
    from azure.ai.ml.entities import (AmlCompute, BatchEndpoint, BatchRetrySettings, CodeConfiguration, Environment,
                                      Model, ModelBatchDeployment, ModelBatchDeploymentSettings)

    from dp100lab.workspace.client import LocalMLClient

    with machine.scratch("bench-batch-") as root:
        (root / "m").mkdir()
        (root / "m" / "w.txt").write_text("1")
        (root / "src").mkdir()
        (root / "src" / "score.py").write_text(SCORE)
        data = root / "data"
        data.mkdir()
        for i in range(files):
            (data / f"f{i:04d}.txt").write_text(f"{i % 7 + 1} 2 3")
        capacity = machine.parallel_capacity()
        load_before = [round(x, 2) for x in os.getloadavg()]
        ml_client = LocalMLClient(root / "home", hold=False, set_mlflow=False)
        ml_client.compute.begin_create_or_update(AmlCompute(name="cpu", size="Standard_DS3_v2", max_instances=1)).result()
        model = ml_client.models.create_or_update(Model(name="bench-batch", path=str(root / "m")))
        ml_client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="bench-batch")).result()
        for conc in (1, 2):
            ml_client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
                name=f"c{conc}", endpoint_name="bench-batch", model=model, compute="cpu",
                code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="score.py"),
                environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"),
                settings=ModelBatchDeploymentSettings(mini_batch_size=10, instance_count=1,
                                                      max_concurrency_per_instance=conc,
                                                      retry_settings=BatchRetrySettings(max_retries=1, timeout=60)))).result()
        samples = {1: [], 2: []}
        for _ in range(repeat):  # alternating, so other engineers' load falls on both sides alike
            for conc in (1, 2):
                t = time.perf_counter()
                job = ml_client.batch_endpoints.invoke(endpoint_name="bench-batch", deployment_name=f"c{conc}",
                                                       input=Input(type="uri_folder", path=str(data)))
                while ml_client.store.get_job(job.name)["status"] not in ("Completed", "Failed", "Canceled"):
                    time.sleep(0.05)  # the wall time's resolution: small against a job of a few seconds
                assert ml_client.store.get_job(job.name)["status"] == "Completed"
                samples[conc].append(round(time.perf_counter() - t, 2))
        times = {c: statistics.median(v) for c, v in samples.items()}
        res = {"files": files, "mini_batch_size": 10, "repeat": repeat, "single_worker_s": round(times[1], 2),
               "two_workers_s": round(times[2], 2), "single_worker_samples_s": samples[1],
               "two_workers_samples_s": samples[2], "ratio": round(times[2] / times[1], 3),
               "pair_ratios": [round(b / a, 3) for a, b in zip(samples[1], samples[2])], "target_ratio": "<= 0.6",
               "machine": {**machine.describe(capacity), "load_average_before": load_before},
               "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        out = Path(__file__).parent / "results" / "batch_scaling.json"
        out.write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps(res, indent=1))
        return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
