"""The same activities in JupyterLab with a kernel (a real `jupyter lab` and chromium): a
choice answers, and the questionnaire greets the kernel, shows Jupyter's privacy text and saves
the answers file beside the notebook, where `imatter impact collect` finds it."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
CELLS = [
    "from imatter.activities import choice_check\n\n"
    "choice_check(\n"
    '    question="What helps a child to settle?",\n'
    '    options={"A calm adult": "Yes: calm first.", "A lecture": "Not yet."},\n'
    '    correct="A calm adult",\n'
    ")",
    'from imatter.impact import questionnaire\n\nquestionnaire(course="foundation-a", stage="pre")',
]


def notebook(cells: list[str]) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}}
            | {"outputs": [], "source": source}
            for i, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_activities_and_questionnaire_in_jupyterlab(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    (tmp_path / "session.ipynb").write_text(json.dumps(notebook(CELLS)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "toolkit"), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    env.pop("JUPYTERHUB_USER", None)
    log = (tmp_path / "lab.log").open("w")
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}"]
        + ["--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", "--allow-root"]
        + [
            f"--ServerApp.root_dir={tmp_path}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            url = f"http://127.0.0.1:{port}/lab/tree/session.ipynb?token={token}"
            for _ in range(120):
                try:
                    page.goto(url)
                    break
                except playwright.Error:
                    time.sleep(0.5)
            first = page.locator(".jp-Notebook .jp-Cell").first
            first.wait_for(timeout=120_000)
            # Wait for the kernel, then Run > Run All Cells.
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
            page.locator("li.lm-MenuBar-item").get_by_text("Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

            choice = page.locator("[data-activity=choice]")
            choice.wait_for(timeout=120_000)
            choice.get_by_label("A calm adult").check()
            choice.get_by_role("button", name="Check").click()
            assert "Yes, that's right. Yes: calm first." in choice.inner_text()

            box = page.locator("[data-activity=questionnaire]")
            save = box.get_by_role("button", name="Save my answers")
            save.wait_for(state="visible", timeout=60_000)  # the kernel answered the greeting
            assert "saved in a small file next to this notebook" in box.inner_text()
            box.get_by_label("Your code").fill("owl-7")
            for group in box.locator("fieldset").all():
                group.locator("label").nth(3).click()
            save.click()
            box.get_by_text("Thank you: your answers are saved").wait_for(timeout=60_000)
            browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=60)
        log.close()
    from imatter.impact import read_answers_file

    answers = read_answers_file(tmp_path / "imatter-answers" / "foundation-a-pre.json")
    assert answers.pseudonym == "OWL-7" and set(answers.scores.values()) == {4}
