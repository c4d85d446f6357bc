"""`dp100 doctor`: OK lines on a healthy environment, FAIL + fix for real problems."""
import sqlite3

from dp100lab.cli import doctor, main


def test_healthy_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DP100LAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DP100LAB_BACKEND", raising=False)
    monkeypatch.chdir(tmp_path)  # no config.json here or above
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "All good."
    assert all(line.split()[0] in ("OK", "WARN") for line in lines[:-1])
    text = "\n".join(lines)
    assert "OK    Python 3.11" in text
    assert "installed packages match requirements.lock" in text
    assert "backend: local workspace" in text
    assert f"store: {tmp_path / 'home'} (created on first connect())" in text
    assert "python3 kernel runs this environment's Python" in text
    assert "127.0.0.1" in text


def test_pin_mismatch_is_a_problem_with_a_fix(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# comment\nnumpy==0.0.1\nno-such-package-dp100==1.0\n")
    lines = [str(line) for line in doctor.check_pins(lock)]
    assert any(line.startswith("FAIL  numpy ") and "pins 0.0.1 — fix: make setup" in line for line in lines)
    assert "FAIL  no-such-package-dp100 is not installed (requirements.lock pins 1.0) — fix: make setup" in lines


def test_corrupt_store_database_is_reported(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    good = home / "mlflow.db"
    sqlite3.connect(good).execute("create table t(x)").connection.close()
    (home / "registry.db").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("DP100LAB_HOME", str(home))
    lines = [str(line) for line in doctor.check_store()]
    failing = [line for line in lines if line.startswith("FAIL  store: ")]
    assert len(failing) == 1  # the registry only: mlflow.db is a good database
    assert "the asset and job registry" in failing[0] and "registry.db" in failing[0]
    assert "moves it aside (nothing deleted)" in failing[0]


def test_azure_backend_from_config_json(tmp_path, monkeypatch):
    monkeypatch.delenv("DP100LAB_BACKEND", raising=False)
    (tmp_path / ".azureml").mkdir()
    (tmp_path / ".azureml" / "config.json").write_text(
        '{"subscription_id": "s", "resource_group": "rg", "workspace_name": "ws"}')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    line = str(doctor.check_backend()[0])
    assert "Azure ML" in line or "azure" in line.lower()
    monkeypatch.setenv("DP100LAB_BACKEND", "cloud")
    assert doctor.check_backend()[0].level == "FAIL"
