"""What data collection costs an online deployment, as ratios in one run.

    .venv/bin/python bench/data_collection.py [N]

Two deployments of the same pandas scoring script behind one endpoint, one with a DataCollector and the
azureml-ai-monitoring Collector calls of how-to-collect-production-data, one without. Measures sequential requests
per second and p50 latency through the endpoint for each (interleaved rounds), the seconds to start each deployment,
and how long after the last answer every collected row has landed in the datastore (the Collector sends from a
background thread). Writes bench/results/data_collection.json.
"""
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine  # noqa: E402

SCORE = '''
import json, logging, os
import pandas as pd
from azureml.ai.monitoring import Collector

COLLECT = os.environ.get("COLLECT") == "1"

def init():
    global inputs_collector, outputs_collector
    if COLLECT:
        inputs_collector = Collector(name="model_inputs", on_error=lambda e: logging.info("ex:{}".format(e)))
        outputs_collector = Collector(name="model_outputs", on_error=lambda e: logging.info("ex:{}".format(e)))

def run(raw):
    df = pd.DataFrame(json.loads(raw)["data"], columns=["a", "b"])
    context = inputs_collector.collect(df) if COLLECT else None
    out = pd.DataFrame({"y": df["a"] + 2 * df["b"]})
    if COLLECT:
        outputs_collector.collect(out, context)
    return out["y"].tolist()
'''


def _timed(session, uri, body, headers, n):
    lat = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        r = session.post(uri, data=body, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        lat.append(time.perf_counter() - t)
    return n / (time.perf_counter() - start), statistics.median(lat) * 1000


def main(n: int = 300) -> dict:
    import requests
    from azure.ai.ml.entities import (CodeConfiguration, DataCollector, DeploymentCollection, Environment,
                                      ManagedOnlineDeployment, ManagedOnlineEndpoint, Model)

    from dp100lab.workspace.client import LocalMLClient
    from dp100lab.workspace.monitoring import collection

    with machine.scratch("bench-mdc-") as root:
        (root / "m").mkdir()
        (root / "m" / "note.txt").write_text("the script needs no weights")
        (root / "src").mkdir()
        (root / "src" / "score.py").write_text(SCORE)
        ml_client = LocalMLClient(root / "home", hold=False, set_mlflow=False)
        model = ml_client.models.create_or_update(Model(name="bench-mdc", path=str(root / "m")))
        ep = ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="bench-mdc")).result()
        made = {}
        for name, dc in (("plain", None), ("collect", DataCollector(collections={
                "model_inputs": DeploymentCollection(enabled="true"),
                "model_outputs": DeploymentCollection(enabled="true")}))):
            t0 = time.perf_counter()
            ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
                name=name, endpoint_name="bench-mdc", model=model, instance_type="Standard_DS3_v2", instance_count=1,
                data_collector=dc, environment_variables={"COLLECT": "1" if dc else "0"},
                code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="score.py"),
                environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference"))
            ).result()
            made[name] = round(time.perf_counter() - t0, 2)
        ep.traffic = {"plain": 100}
        ep = ml_client.online_endpoints.begin_create_or_update(ep).result()
        key = ml_client.online_endpoints.get_keys("bench-mdc").primary_key
        body = json.dumps({"data": [[1, 2], [3, 4]]})
        session = requests.Session()
        head = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        rps, p50 = {"plain": [], "collect": []}, {"plain": [], "collect": []}
        for dep in rps:  # warm both
            _timed(session, ep.scoring_uri, body, {**head, "azureml-model-deployment": dep}, 20)
        for _ in range(3):  # interleaved rounds, so load from other processes hits both alike
            for dep in rps:
                r, p = _timed(session, ep.scoring_uri, body, {**head, "azureml-model-deployment": dep}, n // 3)
                rps[dep].append(r), p50[dep].append(p)
        sent = 20 + 3 * (n // 3)
        t_last = time.perf_counter()
        landed = collection.wait_for_rows(ml_client, "bench-mdc", "collect", 2 * sent, "model_outputs", timeout=120)
        lag = time.perf_counter() - t_last
        res = {"requests_per_deployment": 3 * (n // 3), "deployment_create_s": made,
               "plain_rps": round(statistics.median(rps["plain"]), 1),
               "collect_rps": round(statistics.median(rps["collect"]), 1),
               "throughput_ratio": round(statistics.median(rps["collect"]) / statistics.median(rps["plain"]), 3),
               "plain_p50_ms": round(statistics.median(p50["plain"]), 2),
               "collect_p50_ms": round(statistics.median(p50["collect"]), 2),
               "added_p50_ms": round(statistics.median(p50["collect"]) - statistics.median(p50["plain"]), 2),
               "rows_expected": 2 * sent, "rows_landed": landed,
               "all_rows_landed_after_last_answer_s": round(lag, 2)}
        out = Path(__file__).parent / "results" / "data_collection.json"
        out.write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps(res, indent=1))
        return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
