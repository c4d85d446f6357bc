"""A real browser on the learner's path: Playwright driving Debian's Chromium (never a downloaded browser) against
JupyterLab started the way `dp100 lab` starts it, in a throwaway copy of notebooks/ and labs/ on a throwaway store.

Skipped when no Chromium is installed here; in CI (CI=true) a missing browser is a failure, not a skip.
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("DP100LAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
START_S = 300  # servers on a loaded 2-core machine can take minutes to answer; a ceiling, not a speed target


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:  # starting JupyterLab and the studio is part of a test here: a longer watchdog budget
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.watchdog(900))


def missing_browser():
    """What is missing to drive a browser here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package"
    return None if Path(CHROMIUM).exists() else f"Chromium at {CHROMIUM}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, proc, timeout: float = START_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f} s")


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A throwaway course folder (notebooks/, labs/, datasets linked) and its own store."""
    root = tmp_path_factory.mktemp("course")
    for folder in ("notebooks", "labs"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "datasets").symlink_to(ROOT / "datasets", target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def jupyter(browser, course, tmp_path_factory):
    """JupyterLab with `dp100 lab`'s own command line and URL, on 127.0.0.1."""
    from dp100lab.cli import lab

    home = tmp_path_factory.mktemp("jupyter-home")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                          "checkForUpdates": False}))
    (settings.parent / "notebook-extension").mkdir()  # every cell in the DOM, so tests can read all outputs
    (settings.parent / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_TOKEN": token, "DP100LAB_HOME": str(course / ".store"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "ws")}
    env.pop("MPLBACKEND", None)
    log = open(home / "jupyter.log", "wb")
    proc = subprocess.Popen(lab.build_command(course, port, browser=False), cwd=course, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_listening(port, proc)
        yield {"port": port, "token": token, "root": course, "pid": proc.pid, "store": course / ".store",
               "url": lab.notebook_url(port, token, course), "log": home / "jupyter.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()


@pytest.fixture(scope="session")
def browser():
    missing = missing_browser()
    if missing and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI runs the browser suite, but {missing} is missing (.ci/run installs Debian's chromium)",
                    pytrace=False)
    if missing:
        pytest.skip(f"no browser here: {missing} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, keep what the browser showed (a screenshot and the page's text) next to the test's tmp dir."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        folder = Path(item.config._tmp_path_factory.getbasetemp()) / "browser-failures"
        folder.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(folder / f"{item.name}.png"), full_page=True)
            (folder / f"{item.name}.txt").write_text(page.locator("body").inner_text(timeout=10_000))
            report.sections.append(("browser", f"screenshot and page text in {folder}"))
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            report.sections.append(("browser", f"no screenshot: {exc!r}"))
