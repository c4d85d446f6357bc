"""Batch endpoint scaling: a job over 1,000 small files with 2 worker processes vs 1, in one run.

    .venv/bin/python bench/batch_scaling.py [FILES]

Same deployment settings but max_concurrency_per_instance (1, then 2); wall time from invoke() to Completed.
Target: concurrency 2 takes at most 0.6x the single-worker time. Each file costs a few ms of CPU in run(), as a
small model's predict would. Writes bench/results/batch_scaling.json.
"""
import json
import sys
import tempfile
import time
from pathlib import Path

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


def main(files: int = 1000) -> dict:
    from azure.ai.ml import Input
    from azure.ai.ml.entities import (AmlCompute, BatchEndpoint, BatchRetrySettings, CodeConfiguration, Environment,
                                      Model, ModelBatchDeployment, ModelBatchDeploymentSettings)

    from dp100lab.workspace.client import LocalMLClient

    root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    (root / "m").mkdir()
    (root / "m" / "w.txt").write_text("1")
    (root / "src").mkdir()
    (root / "src" / "score.py").write_text(SCORE)
    data = root / "data"
    data.mkdir()
    for i in range(files):
        (data / f"f{i:04d}.txt").write_text(f"{i % 7 + 1} 2 3")
    ml_client = LocalMLClient(root / "home", hold=False, set_mlflow=False)
    ml_client.compute.begin_create_or_update(AmlCompute(name="cpu", size="Standard_DS3_v2", max_instances=1)).result()
    model = ml_client.models.create_or_update(Model(name="bench-batch", path=str(root / "m")))
    ml_client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="bench-batch")).result()
    times = {}
    for conc in (1, 2):
        ml_client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
            name=f"c{conc}", endpoint_name="bench-batch", model=model, compute="cpu",
            code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="score.py"),
            environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"),
            settings=ModelBatchDeploymentSettings(mini_batch_size=10, instance_count=1,
                                                  max_concurrency_per_instance=conc,
                                                  retry_settings=BatchRetrySettings(max_retries=1, timeout=60)))).result()
        t = time.perf_counter()
        job = ml_client.batch_endpoints.invoke(endpoint_name="bench-batch", deployment_name=f"c{conc}",
                                               input=Input(type="uri_folder", path=str(data)))
        while ml_client.store.get_job(job.name)["status"] not in ("Completed", "Failed", "Canceled"):
            time.sleep(0.2)
        assert ml_client.store.get_job(job.name)["status"] == "Completed"
        times[conc] = time.perf_counter() - t
    res = {"files": files, "mini_batch_size": 10, "single_worker_s": round(times[1], 2),
           "two_workers_s": round(times[2], 2), "ratio": round(times[2] / times[1], 3), "target_ratio": "<= 0.6"}
    out = Path(__file__).parent / "results" / "batch_scaling.json"
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
