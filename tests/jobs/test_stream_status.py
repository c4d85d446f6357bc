"""jobs.stream speaks before the first log line: Azure's header (RunId, Web View) at once, then one status line per
change while the job is queued, starting or running with an empty log; never a secret the job was given."""
import re

from azure.ai.ml import command

from dp100lab.workspace.jobs import operations

SLOW_START = """
import time
time.sleep(3)  # the log stays empty for a while, as while a job's process and libraries start
print("first line", flush=True)
"""
SECRET = "s3cr3t-token-value-123"


class Recorder:
    """A stdout that remembers, for each write, how many bytes the job's log held at that moment."""

    def __init__(self, log):
        self.log, self.parts = log, []

    def write(self, text):
        self.parts.append((self.log.stat().st_size if self.log.exists() else 0, text))
        return len(text)

    def flush(self):
        pass

    @property
    def text(self):
        return "".join(t for _, t in self.parts)


def test_stream_prints_header_at_once_then_status_until_the_log_starts(ml_client, src, monkeypatch):
    job = command(code=src(SLOW_START), command="python train.py", environment="AzureML-sklearn-1.5@latest",
                  environment_variables={"API_KEY": SECRET, "AZURE_CLIENT_SECRET": SECRET})
    returned = ml_client.jobs.create_or_update(job)
    out = Recorder(ml_client.store.job_dir(returned.name) / "user_logs" / "std_log.txt")
    monkeypatch.setattr(operations.sys, "stdout", out)
    ml_client.jobs.stream(returned.name)
    text = out.text

    header, rest = text.split("\nStreaming user_logs/std_log.txt\n", 1)
    lines = header.splitlines()
    assert lines[0] == f"RunId: {returned.name}"
    assert lines[1] == f"Web View: {returned.studio_url}"
    statuses = [line.removeprefix("Status: ") for line in lines[2:]]
    assert lines[2:] == [f"Status: {s}" for s in statuses], header  # nothing else before the log
    assert statuses and set(statuses) <= {"Starting", "Queued", "Preparing", "Running"}, statuses
    assert len(statuses) == len(set(statuses)), "each status is printed once, when it changes"
    assert "Running" in statuses  # the script sleeps before its first line: the stream said it was running
    assert "first line" in rest and "Execution Summary" in rest and "Status:" not in rest  # the log itself untouched
    # the header and every status line were written while the job's log was still empty
    assert all(size == 0 for size, part in out.parts if part.startswith(("RunId: ", "Status: "))), out.parts[:6]
    assert SECRET not in text


def test_stream_of_a_finished_job_prints_no_status_lines(ml_client, src, wait_status, capsys):
    returned = ml_client.jobs.create_or_update(command(code=src("print('done')\n"), command="python train.py",
                                                       environment="AzureML-sklearn-1.5@latest"))
    wait_status(returned.name, ("Completed",))
    capsys.readouterr()
    ml_client.jobs.stream(returned.name)
    out = capsys.readouterr().out
    assert out.startswith(f"RunId: {returned.name}\nWeb View: ") and "done" in out
    assert not re.search(r"^Status: ", out, re.M), out
