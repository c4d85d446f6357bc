"""Asset versions are immutable: several processes creating versions of one asset never overwrite each other."""
import json
import subprocess
import sys
import textwrap

from dp100lab.workspace.client import LocalMLClient

WORKER = textwrap.dedent("""
    import json, sys, tempfile, pathlib
    from azure.ai.ml.entities import Data
    from dp100lab.workspace.client import LocalMLClient
    root, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    c = LocalMLClient(root, hold=False, set_mlflow=False)
    made = []
    src = pathlib.Path(tempfile.mkdtemp())
    for i in range(n):
        f = src / f"{tag}-{i}.txt"
        f.write_text(f"{tag} {i}")
        d = c.data.create_or_update(Data(name="shared", path=str(f), type="uri_file"))
        made.append([d.version, f.read_text()])
    print(json.dumps(made))
""")


def test_versions_from_several_processes_each_hold_their_own_content(tmp_path):
    root = tmp_path / "store"
    LocalMLClient(root, hold=False, set_mlflow=False)  # initialise once, as a learner's first connect does
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(root), tag, "15"], stdout=subprocess.PIPE, text=True)
             for tag in ("a", "b", "c")]
    reported = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        reported += json.loads(out.strip().splitlines()[-1])
    versions = [v for v, _ in reported]
    assert len(versions) == len(set(versions)) == 45  # none lost, none reported twice
    client = LocalMLClient(root, hold=False, set_mlflow=False)
    for version, content in reported:
        asset = client.data.get("shared", version=version)
        local = client.store.datastore_path("workspaceblobstore")
        from dp100lab.workspace.core.uris import resolve_path
        assert resolve_path(client, asset.path).read_text() == content, (version, asset.path, local)
