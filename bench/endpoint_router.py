"""Online endpoint router overhead, as ratios against the inference server called directly, in one run.

    .venv/bin/python bench/endpoint_router.py [N]

Measures (1) seconds from begin_create_or_update(deployment).result() to the first 200 answer through the endpoint
(target: within 10 s), (2) sequential requests per second and p50 latency through the router vs straight to the
deployment's azureml-inference-server-http (targets: throughput >= 0.8x, added p50 <= 2 ms). A stdlib scoring
script keeps the model's own time out of the comparison. Writes bench/results/endpoint_router.json.
"""
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _timed(port, path, body, headers, n):
    lat = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", path, body=body, headers=headers)
        r = c.getresponse()
        r.read()
        c.close()
        assert r.status == 200, r.status
        lat.append(time.perf_counter() - t)
    return n / (time.perf_counter() - start), statistics.median(lat) * 1000


def main(n: int = 400) -> dict:
    from azure.ai.ml.entities import (CodeConfiguration, Environment, ManagedOnlineDeployment,
                                      ManagedOnlineEndpoint, Model)

    from dp100lab.workspace.client import LocalMLClient
    from dp100lab.workspace.core import servers
    from dp100lab.workspace.endpoints import inference

    root = Path(tempfile.mkdtemp(prefix="bench-endpoint-"))
    (root / "m").mkdir()
    (root / "m" / "w.json").write_text(json.dumps({"w": [1.0, 2.0]}))
    (root / "src").mkdir()
    (root / "src" / "score.py").write_text(
        "import json, os\ndef init():\n    global w\n    w = json.load(open(os.path.join(os.environ['AZUREML_MODEL_DIR'],"
        " 'm', 'w.json')))['w']\ndef run(raw):\n    return [sum(a*b for a, b in zip(r, w)) for r in json.loads(raw)['data']]\n")
    ml_client = LocalMLClient(root / "home", hold=False, set_mlflow=False)
    try:
        model = ml_client.models.create_or_update(Model(name="bench-model", path=str(root / "m")))
        ep = ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="bench-ep")).result()
        t0 = time.perf_counter()
        ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
            name="blue", endpoint_name="bench-ep", model=model, instance_type="Standard_DS3_v2", instance_count=1,
            code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="score.py"),
            environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference"))).result()
        created = time.perf_counter() - t0
        ep.traffic = {"blue": 100}
        ep = ml_client.online_endpoints.begin_create_or_update(ep).result()
        key = ml_client.online_endpoints.get_keys("bench-ep").primary_key
        router_port = int(ep.scoring_uri.split(":")[2].split("/")[0])
        server_port = servers.get(ml_client.store, inference.server_name("bench-ep", "blue")).port
        body = json.dumps({"data": [[1, 2], [3, 4]]})
        t1 = time.perf_counter()
        _timed(router_port, "/score", body, {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}, 1)
        first_answer = time.perf_counter() - t1
        _timed(server_port, "/score", body, {"Content-Type": "application/json"}, 30)  # warm both paths
        direct_rps, direct_p50, routed_rps, routed_p50 = [], [], [], []
        for _ in range(3):  # interleaved rounds, so load from other processes hits both paths alike
            r, p = _timed(server_port, "/score", body, {"Content-Type": "application/json"}, n // 3)
            direct_rps.append(r), direct_p50.append(p)
            r, p = _timed(router_port, "/score", body, {"Content-Type": "application/json",
                                                         "Authorization": f"Bearer {key}"}, n // 3)
            routed_rps.append(r), routed_p50.append(p)
        res = {"requests_per_path": 3 * (n // 3), "deployment_create_s": round(created, 2),
               "first_200_after_result_s": round(first_answer, 3),
               "direct_rps": round(statistics.median(direct_rps), 1), "router_rps": round(statistics.median(routed_rps), 1),
               "throughput_ratio": round(statistics.median(routed_rps) / statistics.median(direct_rps), 3),
               "direct_p50_ms": round(statistics.median(direct_p50), 2), "router_p50_ms": round(statistics.median(routed_p50), 2),
               "added_p50_ms": round(statistics.median(routed_p50) - statistics.median(direct_p50), 2),
               "targets": {"throughput_ratio": ">= 0.8", "added_p50_ms": "<= 2", "first_200_after_result_s": "<= 10"}}
    finally:
        servers.stop_all(ml_client.store)
    out = Path(__file__).parent / "results" / "endpoint_router.json"
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
