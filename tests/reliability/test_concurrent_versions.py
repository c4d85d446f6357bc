"""Asset versions are immutable and job names unique: several processes creating one asset's versions, or submitting
one job name, never overwrite each other; a fresh store opened by several processes at once is created once."""
import json
import subprocess
import sys
import textwrap

import pytest

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core.uris import resolve_path

# Each worker creates n versions of one shared asset, each with content of its own, and prints [version, content].
WORKER = textwrap.dedent("""
    import json, sys, tempfile, pathlib
    from azure.ai.ml.entities import CommandComponent, Data, Environment, Model
    from dp100lab.workspace.client import LocalMLClient
    kind, root, tag, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    c = LocalMLClient(root, hold=False, set_mlflow=False)
    src = pathlib.Path(tempfile.mkdtemp())
    made = []
    for i in range(n):
        content = f"{tag} {i}"
        f = src / f"{tag}-{i}.txt"
        f.write_text(content)
        if kind == "data":
            v = c.data.create_or_update(Data(name="shared", path=str(f), type="uri_file")).version
        elif kind == "model":
            v = c.models.create_or_update(Model(name="shared-model", path=str(f), type="custom_model")).version
        elif kind == "environment":
            v = c.environments.create_or_update(Environment(name="shared-env", image=f"img-{tag}-{i}")).version
        else:
            v = c.components.create_or_update(CommandComponent(name="shared_comp", command=f"echo {tag}-{i}",
                                                               environment="AzureML-sklearn-1.5@latest")).version
        made.append([v, content])
    print(json.dumps(made))
""")


def _stored(client, kind, version):
    """What the registry holds for `version` of the shared asset, in the worker's [tag i] form."""
    if kind == "data":
        return resolve_path(client, client.data.get("shared", version=version).path).read_text()
    if kind == "model":
        return resolve_path(client, client.models.get("shared-model", version=version).path).read_text()
    if kind == "environment":
        return client.environments.get("shared-env", version=version).image[len("img-"):].replace("-", " ")
    return client.components.get("shared_comp", version=version).command[len("echo "):].replace("-", " ")


@pytest.mark.parametrize("kind,per_process", [("data", 15), ("model", 6), ("environment", 10), ("component", 8)])
def test_versions_from_several_processes_each_hold_their_own_content(tmp_path, kind, per_process):
    root = tmp_path / "store"
    LocalMLClient(root, hold=False, set_mlflow=False)  # initialise once, as a learner's first connect does
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, kind, str(root), tag, str(per_process)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in ("a", "b", "c")]
    reported = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        reported += json.loads(out.strip().splitlines()[-1])
    versions = [v for v, _ in reported]
    assert len(versions) == len(set(versions)) == 3 * per_process  # none lost, none reported twice
    client = LocalMLClient(root, hold=False, set_mlflow=False)
    for version, content in reported:
        assert _stored(client, kind, version) == content, (kind, version)


SUBMIT = textwrap.dedent("""
    import sys
    from azure.ai.ml import command
    from azure.core.exceptions import ResourceExistsError
    from dp100lab.workspace.client import LocalMLClient
    root, tag = sys.argv[1], sys.argv[2]
    c = LocalMLClient(root, hold=False, set_mlflow=False)
    try:
        c.jobs.create_or_update(command(name="one-name", command=f"echo {tag}", display_name=tag,
                                        environment="AzureML-sklearn-1.5@latest"))
        print("created", tag)
    except ResourceExistsError as e:
        print("exists", str(e).splitlines()[0])
""")


def test_one_job_name_submitted_by_several_processes_is_created_once(tmp_path):
    root = tmp_path / "store"
    LocalMLClient(root, hold=False, set_mlflow=False)
    procs = [subprocess.Popen([sys.executable, "-c", SUBMIT, str(root), tag], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for tag in ("a", "b", "c", "d")]
    lines = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        lines.append(out.strip().splitlines()[-1])
    created = [ln.split()[1] for ln in lines if ln.startswith("created")]
    assert len(created) == 1, lines
    assert all("Job 'one-name' already exists; job names are unique in a workspace" in ln
               for ln in lines if ln.startswith("exists"))
    client = LocalMLClient(root, hold=False, set_mlflow=False)
    job = client.jobs.get("one-name")
    assert job.display_name == created[0]  # the stored job is the winner's, not overwritten by a loser
    assert (client.store.job_dir("one-name") / "runner.json").is_file()  # its folder was not cleaned up by a loser
    client.jobs.stream("one-name")
    assert client.jobs.get("one-name").status == "Completed"


OPEN = "import sys; from dp100lab.workspace.core.store import Store; Store(sys.argv[1]).put('data', 'x', sys.argv[2], {})"


def test_first_open_of_a_fresh_store_from_several_processes(tmp_path):
    """The first process creates registry.db (0 bytes for a moment) while the others wait on the open lock: none of
    them may take that file for a broken registry and move it aside."""
    for attempt in range(3):  # the window is short: a few fresh stores make a lost race likely without the lock
        root = tmp_path / f"fresh{attempt}"
        procs = [subprocess.Popen([sys.executable, "-c", OPEN, str(root), str(i)], stderr=subprocess.PIPE, text=True)
                 for i in range(6)]
        errs = [p.communicate(timeout=300)[1] for p in procs]
        assert all(p.returncode == 0 for p in procs), errs
        assert not list(root.glob("registry.db.corrupt-*")) and not any("moved to" in e for e in errs), errs
        client = LocalMLClient(root, hold=False, set_mlflow=False)
        assert sorted(r["version"] for r in client.store.list("data", "x")) == [str(i) for i in range(6)]
