"""Online endpoint router overhead, as ratios against the inference server called directly, in one run.

    .venv/bin/python bench/endpoint_router.py [N] [CONCURRENCY]

Measures (1) seconds from begin_create_or_update(deployment).result() to the first 200 answer through the endpoint
(target: within 10 s); (2) requests per second and p50 latency through the router vs straight to the deployment's
azureml-inference-server-http, sequentially (one client) and with CONCURRENCY clients (targets: throughput >= 0.8x,
added p50 <= 2 ms); (3) CPU milliseconds per request of the router, the inference server and the client, read from
/proc, which the other engineers' load on the shared cores disturbs far less than wall time.

The router reaches the deployment over the Unix socket its server binds (router.json "unix"; "hop" in the results
says which one was used). A second router process, given the same router.json without that path, goes over TCP, and
its rounds are interleaved with the others, so the gain of the socket is measured in the same run ("router_tcp_*").
A third process, bench/relay_floor.py, relays requests to the same Unix socket with no router logic at all: the floor
any Python process on the path costs ("relay_floor_*"), in the same interleaved rounds.

The stdlib scoring script is the worst case for the router's share; "course_model" repeats the sequential comparison
with module 09's own deployment (its loans_score.py and a random forest fitted as in the notebook), where the model's
time counts as it does for a learner.

Fair by construction: the same client code (a new connection per request, as `requests.post` makes; the inference
server's gunicorn sync worker closes every connection anyway), the same payload and concurrency, rounds interleaved
so load from other processes hits both paths alike. A stdlib scoring script keeps the model's own time out of the
comparison (the worst case for the router's share). Writes bench/results/endpoint_router.json.
"""
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


def _one(port, body, headers):
    t = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/score", body=body, headers=headers)
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200, r.status
    return time.perf_counter() - t


def _timed(port, body, headers, n, clients=1):
    """(requests per second, p50 ms) for n requests spread over `clients` threads."""
    lat, lock = [], threading.Lock()

    def client(count):
        mine = [_one(port, body, headers) for _ in range(count)]
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(n // clients,)) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(lat) / (time.perf_counter() - start), statistics.median(lat) * 1000


def _cpu_s(pids):
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / HZ
        except OSError:
            pass
    return total


def _family(pid):
    """pid and its children (gunicorn's master and its worker)."""
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.add(int(stat.parent.name))
        except (OSError, ValueError):
            pass
    return {pid} | kids


def _cpu_per_request(port, body, headers, n, router_pids, server_pids):
    before = (_cpu_s(router_pids), _cpu_s(server_pids), time.process_time())
    _timed(port, body, headers, n)
    after = (_cpu_s(router_pids), _cpu_s(server_pids), time.process_time())
    return [round((a - b) / n * 1000, 3) for a, b in zip(after, before)]


def _tcp_router(root, cfg):
    """A second router for the same endpoint and deployment whose router.json has no Unix path: the TCP hop."""
    from dp100lab.workspace.core import servers
    from dp100lab.workspace.core.processes import package_env

    folder = root / "tcp-router" / "endpoints" / cfg["name"]
    folder.mkdir(parents=True)
    cfg = json.loads(json.dumps(cfg))
    for dep in cfg["deployments"].values():
        dep.pop("unix", None)
    (folder / "router.json").write_text(json.dumps(cfg))
    port = servers.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dp100lab.workspace.endpoints.router", str(root / "tcp-router"),
                             cfg["name"], str(port)], env=package_env(), stdout=subprocess.DEVNULL)
    if not servers.wait_listening(port, 15, alive=lambda: proc.poll() is None):
        raise OSError("the TCP comparison router did not start")
    return proc, port


def _relay_floor(unix):
    from dp100lab.workspace.core import servers

    port = servers.free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "relay_floor.py"), str(port), unix])
    if not servers.wait_listening(port, 15, alive=lambda: proc.poll() is None):
        raise OSError("the relay floor did not start")
    return proc, port


def _course_model(ml_client, root, n):
    """Sequential direct vs routed throughput for module 09's loans deployment (its scoring script, its model)."""
    import joblib
    import pandas as pd
    from azure.ai.ml.entities import (CodeConfiguration, Environment, ManagedOnlineDeployment,
                                      ManagedOnlineEndpoint, Model)
    from sklearn.ensemble import RandomForestClassifier

    from dp100lab.workspace.core import servers
    from dp100lab.workspace.endpoints import inference

    repo = Path(__file__).resolve().parent.parent
    loans = pd.read_csv(repo / "datasets" / "loans.csv")
    features = ["income", "employment_years", "credit_score", "loan_amount", "debt_to_income", "prior_defaults"]
    model_dir = root / "course" / "loans-model"
    model_dir.mkdir(parents=True)
    joblib.dump(RandomForestClassifier(n_estimators=30, max_depth=5, random_state=0)
                .fit(loans[features], loans["approved"]), model_dir / "model.pkl")
    model = ml_client.models.create_or_update(Model(name="bench-loans", path=str(model_dir)))
    ep = ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="bench-course")).result()
    ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name="bench-course", model=model, instance_type="Standard_DS3_v2", instance_count=1,
        code_configuration=CodeConfiguration(code=str(repo / "solutions" / "src" / "09"),
                                             scoring_script="loans_score.py"),
        environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"))).result()
    ep.traffic = {"blue": 100}
    ep = ml_client.online_endpoints.begin_create_or_update(ep).result()
    key = ml_client.online_endpoints.get_keys("bench-course").primary_key
    router_port = int(ep.scoring_uri.split(":")[2].split("/")[0])
    server = servers.get(ml_client.store, inference.server_name("bench-course", "blue"))
    body = json.dumps({"data": loans[features].head(5).values.tolist()})  # the notebook's request
    plain = {"Content-Type": "application/json"}
    keyed = {**plain, "Authorization": f"Bearer {key}"}
    _timed(server.port, body, plain, 20)
    _timed(router_port, body, keyed, 20)
    direct, routed = [], []
    for _ in range(3):
        direct.append(_timed(server.port, body, plain, n // 3))
        routed.append(_timed(router_port, body, keyed, n // 3))
    d_rps, r_rps = statistics.median(r for r, _ in direct), statistics.median(r for r, _ in routed)
    d_p50, r_p50 = statistics.median(p for _, p in direct), statistics.median(p for _, p in routed)
    return {"sequential": {"direct_rps": round(d_rps, 1), "router_rps": round(r_rps, 1),
                           "throughput_ratio": round(r_rps / d_rps, 3), "direct_p50_ms": round(d_p50, 2),
                           "router_p50_ms": round(r_p50, 2), "added_p50_ms": round(r_p50 - d_p50, 2)}}


def main(n: int = 600, clients: int = 4) -> dict:
    from azure.ai.ml.entities import (CodeConfiguration, Environment, ManagedOnlineDeployment,
                                      ManagedOnlineEndpoint, Model, OnlineRequestSettings)

    from dp100lab.workspace.client import LocalMLClient
    from dp100lab.workspace.core import servers
    from dp100lab.workspace.endpoints import inference, routing, state

    root = Path(tempfile.mkdtemp(prefix="bench-endpoint-"))
    (root / "m").mkdir()
    (root / "m" / "w.json").write_text(json.dumps({"w": [1.0, 2.0]}))
    (root / "src").mkdir()
    (root / "src" / "score.py").write_text(
        "import json, os\ndef init():\n    global w\n    w = json.load(open(os.path.join(os.environ['AZUREML_MODEL_DIR'],"
        " 'm', 'w.json')))['w']\ndef run(raw):\n    return [sum(a*b for a, b in zip(r, w)) for r in json.loads(raw)['data']]\n")
    ml_client = LocalMLClient(root / "home", hold=False, set_mlflow=False)
    load_before = os.getloadavg()
    tcp_proc = relay_proc = None
    try:
        model = ml_client.models.create_or_update(Model(name="bench-model", path=str(root / "m")))
        ep = ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="bench-ep")).result()
        t0 = time.perf_counter()
        ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
            name="blue", endpoint_name="bench-ep", model=model, instance_type="Standard_DS3_v2", instance_count=1,
            code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="score.py"),
            # room for the concurrent clients: past 2 * this * instance_count pending requests Azure answers 429
            request_settings=OnlineRequestSettings(max_concurrent_requests_per_instance=clients),
            environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference"))).result()
        created = time.perf_counter() - t0
        ep.traffic = {"blue": 100}
        ep = ml_client.online_endpoints.begin_create_or_update(ep).result()
        key = ml_client.online_endpoints.get_keys("bench-ep").primary_key
        router_port = int(ep.scoring_uri.split(":")[2].split("/")[0])
        server = servers.get(ml_client.store, inference.server_name("bench-ep", "blue"))
        router = servers.get(ml_client.store, state.router_name("bench-ep"))
        body = json.dumps({"data": [[1, 2], [3, 4]]})
        plain = {"Content-Type": "application/json"}
        keyed = {**plain, "Authorization": f"Bearer {key}"}
        cfg = json.loads(routing.config_path(ml_client.store, "bench-ep").read_text())
        hop = "unix" if cfg["deployments"]["blue"].get("unix") else "tcp"
        tcp_proc, tcp_port = _tcp_router(root, cfg)
        relay_proc, relay_port = _relay_floor(cfg["deployments"]["blue"]["unix"]) if hop == "unix" else (None, None)
        t1 = time.perf_counter()
        _timed(router_port, body, keyed, 1)
        first_answer = time.perf_counter() - t1
        _timed(server.port, body, plain, 30)  # warm both paths
        _timed(router_port, body, keyed, 30)
        _timed(tcp_port, body, keyed, 30)
        if relay_port:
            _timed(relay_port, body, keyed, 30)
        res = {"requests_per_path_and_mode": 3 * (n // 3), "concurrent_clients": clients, "hop": hop,
               "deployment_create_s": round(created, 2), "first_200_after_result_s": round(first_answer, 3)}
        for mode, k in (("sequential", 1), ("concurrent", clients)):
            direct, routed, tcp, floor = [], [], [], []
            for _ in range(3):  # interleaved rounds, so load from other processes hits every path alike
                direct.append(_timed(server.port, body, plain, n // 3, k))
                routed.append(_timed(router_port, body, keyed, n // 3, k))
                tcp.append(_timed(tcp_port, body, keyed, n // 3, k))
                if relay_port:
                    floor.append(_timed(relay_port, body, keyed, n // 3, k))
            d_rps, r_rps = statistics.median(r for r, _ in direct), statistics.median(r for r, _ in routed)
            d_p50, r_p50 = statistics.median(p for _, p in direct), statistics.median(p for _, p in routed)
            res[mode] = {"direct_rps": round(d_rps, 1), "router_rps": round(r_rps, 1),
                         "throughput_ratio": round(r_rps / d_rps, 3), "direct_p50_ms": round(d_p50, 2),
                         "router_p50_ms": round(r_p50, 2), "added_p50_ms": round(r_p50 - d_p50, 2)}
            t_rps, t_p50 = statistics.median(r for r, _ in tcp), statistics.median(p for _, p in tcp)
            res[mode].update(router_tcp_rps=round(t_rps, 1), router_tcp_throughput_ratio=round(t_rps / d_rps, 3),
                             router_tcp_added_p50_ms=round(t_p50 - d_p50, 2))
            if floor:
                f_rps, f_p50 = statistics.median(r for r, _ in floor), statistics.median(p for _, p in floor)
                res[mode].update(relay_floor_rps=round(f_rps, 1), relay_floor_throughput_ratio=round(f_rps / d_rps, 3),
                                 relay_floor_added_p50_ms=round(f_p50 - d_p50, 2),
                                 router_over_relay_floor=round(r_rps / f_rps, 3))
        server_pids, router_pids = _family(server.pid), {router.pid}
        direct_cpu = _cpu_per_request(server.port, body, plain, n, router_pids, server_pids)
        routed_cpu = _cpu_per_request(router_port, body, keyed, n, router_pids, server_pids)
        res["cpu_ms_per_request"] = {"router": routed_cpu[0], "server_direct": direct_cpu[1],
                                     "server_routed": routed_cpu[1], "client_direct": direct_cpu[2],
                                     "client_routed": routed_cpu[2]}
        res["course_model"] = _course_model(ml_client, root, n)
        res["targets"] = {"throughput_ratio": ">= 0.8", "added_p50_ms": "<= 2", "first_200_after_result_s": "<= 10"}
        res["machine"] = {"cpus": os.cpu_count(), "load_average_1m_before": round(load_before[0], 2),
                          "load_average_1m_after": round(os.getloadavg()[0], 2),
                          "uptime": os.popen("uptime").read().strip()}
    finally:
        for proc in (tcp_proc, relay_proc):
            if proc is not None:
                proc.kill()
                proc.wait()
        servers.stop_all(ml_client.store)
        shutil.rmtree(root, ignore_errors=True)  # the throwaway store and model (its sockets went with the servers)
    out = Path(os.environ.get("BENCH_OUT") or Path(__file__).parent / "results" / "endpoint_router.json")
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
