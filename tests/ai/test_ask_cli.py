"""`cloudoptima ask "QUESTION" [--format json]`: the JSON contract and plain text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from loopback_openai import LoopbackOpenAI, Text, ToolCall

from cloudoptima import Workspace


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "cloudoptima", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


def test_json_has_exactly_the_contract_keys(demo_workspace: Workspace) -> None:
    out = run(
        "--workspace",
        str(demo_workspace.root),
        "ask",
        "top 3 services last month",
        "--format",
        "json",
    )
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert list(document) == ["answer", "sql", "table", "chart", "engine"]
    assert document["engine"] == "offline"
    assert document["answer"].startswith("By service in October 2026")
    assert "FROM daily_costs" in document["sql"]
    assert [set(row) for row in document["table"]] == [{"service", "billing_currency", "cost"}] * 3
    assert document["table"][0]["service"] == "Virtual Machines"
    assert isinstance(document["table"][0]["cost"], float)
    assert document["chart"] == {
        "type": "bar",
        "x": "service",
        "y": "cost",
        "color": None,
        "title": "Cost by service",
    }


def test_text_prints_answer_table_and_sql(demo_workspace: Workspace) -> None:
    out = run("--workspace", str(demo_workspace.root), "ask", "List idle VMs")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("3 open idle vm findings could save USD")
    assert "vm-sbx-ml-01" in out.stdout
    assert "SQL (offline engine):" in out.stdout


def test_a_question_it_cannot_answer_has_no_sql_and_no_table(demo_workspace: Workspace) -> None:
    out = run("--workspace", str(demo_workspace.root), "ask", "tell me a joke", "--format", "json")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert (document["sql"], document["table"], document["chart"]) == (None, [], None)
    assert "I never guess a figure" in document["answer"]


def test_an_empty_question_is_one_sentence_and_exit_2(demo_workspace: Workspace) -> None:
    out = run("--workspace", str(demo_workspace.root), "ask", "   ")
    assert out.returncode == 2
    assert out.stderr.startswith("Error: ask a question")
    assert "Traceback" not in out.stderr


def test_the_language_model_answers_the_command_line(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    sql = "SELECT count(*) AS disks FROM resources WHERE type = 'microsoft.compute/disks'"
    disks = demo_workspace.sql(sql).item()
    with LoopbackOpenAI(
        [ToolCall(sql), Text(f"The inventory holds {disks} managed disks.")]
    ) as server:
        env = {
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-cli",
            "HOME": str(tmp_path),
        }
        out = run(
            "--workspace",
            str(demo_workspace.root),
            "ask",
            "how many disks?",
            "--format",
            "json",
            env=env,
        )
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["engine"] == "llm"
    assert document["answer"] == f"The inventory holds {disks} managed disks."
    assert document["table"] == [{"disks": disks}]
