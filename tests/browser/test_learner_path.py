"""What a learner sees in a real browser: `dp100 lab`'s URL opens notebook 00, it runs clean, a lab check answers
✗ then ✓, the quiz widget answers in words, a job's studio link opens its run, and everything listens on loopback."""
import re
import time
import urllib.parse

import psutil
import pytest

RUN_S = 600  # ceiling for a notebook's cells on a loaded 2-core machine (not a speed target; bench/ measures speed)


# ---- driving JupyterLab ------------------------------------------------------------------------------------------
def cells(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")


def prompts(page):
    return page.eval_on_selector_all(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt",
                                     "els => els.map(e => e.textContent.trim())")


def wait_until_ran(page, timeout=RUN_S, min_runs=1):
    """Until no code cell is queued or running ([*]) and at least `min_runs` cells show an execution count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = prompts(page)
        if not any("*" in p for p in shown) and sum(bool(re.search(r"\[\d+\]", p)) for p in shown) >= min_runs:
            return shown
        time.sleep(1)
    raise AssertionError(f"cells still running after {timeout} s: {prompts(page)}")


def open_notebook(page, url, name):
    # ?reset: JupyterLab forgets the tabs an earlier test left open, so only this notebook (and one kernel) loads
    page.goto(url + "&reset")
    tab = page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name)
    tab.wait_for()
    cells(page).first.wait_for()
    # the kernel has started and is connected (the status bar says so); before that, runs are silently not sent
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle")).first.wait_for(timeout=RUN_S * 1000)
    return tab


def run_all(page):
    """Shift+Enter through every cell, as a learner does (the last one adds an empty cell below)."""
    cells(page).first.click()
    for _ in range(cells(page).count()):
        page.keyboard.press("Shift+Enter")


def output_text(page, index):
    return cells(page).nth(index).locator(".jp-OutputArea").inner_text()


def code_cell_indexes(page):
    return page.eval_on_selector_all(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell",
                                     "els => els.map((e, i) => e.classList.contains('jp-CodeCell') ? i : -1)"
                                     ".filter(i => i >= 0)")


def listening(pid):
    """(address, port) of every LISTEN socket of the process `pid` and its children."""
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    found = set()
    for proc in procs:
        try:
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    found.add((conn.laddr.ip, conn.laddr.port))
        except psutil.Error:
            pass
    return found


# ---- the learner's path ------------------------------------------------------------------------------------------
def test_dp100_lab_url_opens_notebook_00_and_it_runs_clean(page, jupyter):
    assert urllib.parse.urlsplit(jupyter["url"]).path == "/lab/tree/notebooks/00_start_here.ipynb"
    open_notebook(page, jupyter["url"], "00_start_here.ipynb")  # the notebook itself, not the launcher
    assert page.locator(".jp-Launcher").count() == 0
    n_code = len(code_cell_indexes(page))
    run_all(page)
    shown = wait_until_ran(page, min_runs=n_code)
    assert all(re.search(r"\[\d+\]", p) for p in shown[:n_code]), shown
    text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").inner_text()
    assert "✓" in text and "✗" in text  # the practice check: one right, one deliberately wrong
    assert "ResourceNotFoundError" in text  # the deliberate failure, caught and explained
    outputs = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output")
    assert outputs.locator("img").count() >= 1  # the domain-weight chart rendered
    chatter = outputs.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    assert not chatter, f"red stderr boxes a learner cannot act on: {chatter}"
    assert page.get_by_role("button", name="Check answer").count() >= 1  # the quiz widget rendered


def test_quiz_widget_answers_in_words_and_renders_markdown(page, jupyter):
    open_notebook(page, jupyter["url"], "00_start_here.ipynb")
    quiz_cell = next(i for i in code_cell_indexes(page) if "quiz(" in cells(page).nth(i).inner_text())
    cells(page).nth(quiz_cell).click()
    page.keyboard.press("Shift+Enter")
    # the first card's button in either state: once answered it is relabelled, and a locator by its old label
    # would move on to the next card
    button = page.get_by_role("button", name=re.compile(r"^(Check answer|✓ Answered|Answered)$")).first
    button.wait_for(timeout=RUN_S * 1000)
    card = button.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
    button.click()  # nothing chosen yet
    nudge = card.locator(".widget-html", has_text=re.compile("first|every")).first
    nudge.wait_for()
    assert "letter" not in nudge.inner_text().lower()  # button wording, not the terminal's "answer with one letter"
    if card.locator("input[type=radio]").count():
        card.locator("input[type=radio]").first.check()
    elif card.locator("select").count():
        for i, select in enumerate(card.locator("select").all()):
            select.select_option(index=i + 1)
    elif card.locator(".widget-toggle-button", has_text="Yes").count():
        for yes in card.locator(".widget-toggle-button", has_text="Yes").all():
            yes.click()
    else:
        n = int(re.search(r"Choose (\d+)", card.inner_text()).group(1))
        for box in card.locator(".widget-checkbox").filter(has_not_text="mark for review").all()[:n]:
            box.locator("input").check()
    button.click()
    answered = card.get_by_role("button", name=re.compile("Answered"))
    answered.wait_for()
    explanation = card.locator(".jp-RenderedMarkdown, .jp-RenderedHTMLCommon").last
    explanation.wait_for()
    words = explanation.inner_text()
    assert len(words) > 20 and "**" not in words and "`" not in words  # Markdown rendered, not shown raw


def test_lab_check_reads_cross_then_tick(page, jupyter):
    url = jupyter["url"].replace("/notebooks/00_start_here.ipynb", "/labs/00_start_here_lab.ipynb")
    open_notebook(page, url, "00_start_here_lab.ipynb")
    run_all(page)
    wait_until_ran(page, min_runs=4)
    blank = next(i for i in code_cell_indexes(page) if "workspace_name = ..." in cells(page).nth(i).inner_text())
    check = next(i for i in code_cell_indexes(page) if i > blank)
    wait_until_ran(page)
    assert "✗" in output_text(page, check) or "fill in" in output_text(page, check).lower()
    cells(page).nth(blank).locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("workspace_name = ml_client.workspace_name\n"
                              "datastore_names = [ds.name for ds in ml_client.datastores.list()]\n"
                              "print(workspace_name, datastore_names)")
    page.keyboard.press("Shift+Enter")  # run the filled blank, move to its check
    page.keyboard.press("Shift+Enter")  # run the check
    deadline = time.monotonic() + RUN_S
    while output_text(page, check).count("✓") < 2 and time.monotonic() < deadline:
        time.sleep(1)
    assert output_text(page, check).count("✓") == 2, output_text(page, check)
    assert "✗" not in output_text(page, check)


def test_job_link_opens_its_run_in_the_studio(page, jupyter, monkeypatch):
    import dp100lab
    from azure.ai.ml import command
    from dp100lab import studio
    from dp100lab.workspace.core import servers
    from dp100lab.workspace.core.store import Store

    from dp100lab.workspace.core.servers import free_port

    monkeypatch.setenv("DP100LAB_HOME", str(jupyter["store"]))
    monkeypatch.setenv("DP100LAB_STUDIO_PORT", str(free_port()))
    src = jupyter["root"] / "job_src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text("import mlflow\nmlflow.log_metric('accuracy', 0.875)\nprint('trained')\n")
    ml_client = dp100lab.connect()
    job = ml_client.jobs.create_or_update(command(code=str(src), command="python train.py", environment=
                                                  "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                                                  display_name="browser-suite-job", experiment_name="browser-suite"))
    ml_client.jobs.stream(job.name)
    base = studio.start(timeout=START_TIMEOUT)
    try:
        returned = ml_client.jobs.get(job.name)
        link = returned.studio_url
        assert link.startswith(base), f"the job's link {link} is not the running studio at {base}"
        page.goto(link)
        page.get_by_text("browser-suite-job").first.wait_for()
        page.get_by_text("accuracy").first.wait_for()
        assert "workflowType=machine_learning" in page.url
        assert page.get_by_text("0.875").count() >= 1
        studio_pid = servers.get(Store(jupyter["store"]), "studio").pid
        for pid in (jupyter["pid"], studio_pid):
            sockets = listening(pid)
            assert sockets and all(ip == "127.0.0.1" for ip, _ in sockets), sockets  # loopback only
    finally:
        studio.stop()


START_TIMEOUT = 600
pytestmark = pytest.mark.filterwarnings("ignore")
