"""`dicetm iteration new|list` and `dicetm diff` through typer's CliRunner, on a copy of a bundled example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from .helpers import workspace_folder

pytest.importorskip("dicetm.store.workspace", reason="dicetm.store.workspace (the store engineer's Workspace) "
                                                     "is not there yet")
review = pytest.importorskip("dicetm.review", reason="dicetm.review (the review core) is not there yet")
if not hasattr(review, "analyze_workspace") or not hasattr(review, "resolve_reviewer"):
    pytest.skip("dicetm.review has no analyze_workspace/resolve_reviewer yet", allow_module_level=True)

from dicetm.cli_iterations import register_commands  # noqa: E402

REVIEWER = "Dana Lee <dana@example.com>"
TERMINAL = {"COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}


def make_app() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """Test stand-in for the main dicetm app."""

    register_commands(app)
    return app


APP = make_app()


def run(*args: str | Path) -> tuple[int, str, str]:
    done = CliRunner().invoke(APP, [str(a) for a in args], env=TERMINAL, prog_name="dicetm")
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return workspace_folder(tmp_path)


def new_iteration(folder: Path, reason: str = "first design review") -> str:
    code, out, err = run("iteration", "new", folder, "--reason", reason, "--reviewer", REVIEWER)
    assert code == 0, err
    return out


def edit_model(folder: Path, old: str, new: str) -> None:
    path = folder / "dicetm.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_iteration_new_then_list(folder: Path) -> None:
    out = new_iteration(folder)
    assert out.startswith("recorded iteration 1 in ") and "now working on iteration 2" in out
    assert (folder / "dicetm-iterations" / "1" / "iteration.json").is_file()
    code, out, _ = run("iteration", "list", folder)
    assert code == 0
    assert "first design review" in out and "Dana Lee" in out and "working on iteration 2" in out


def test_iteration_list_when_there_is_none(folder: Path) -> None:
    code, out, _ = run("iteration", "list", folder)
    assert code == 0 and "no iteration recorded yet" in out


def test_iteration_new_refuses_an_empty_reason(folder: Path) -> None:
    code, _, err = run("iteration", "new", folder, "--reason", " ", "--reviewer", REVIEWER)
    assert code == 2
    assert "--reason: the reason for a new iteration is empty" in err and "hint:" in err
    assert sorted(p.name for p in folder.iterdir()) == ["dicetm.yaml"]


def test_diff_of_an_unchanged_working_copy(folder: Path) -> None:
    new_iteration(folder)
    code, out, _ = run("diff", folder)
    assert code == 0
    assert out == "changes from iteration 1 to the working copy: no changes\n"


def test_diff_shows_a_changed_attribute_and_what_it_did_to_the_threats(folder: Path) -> None:
    new_iteration(folder)
    edit_model(folder, "    exposure: internal\n    authenticated: true\n    output_rendered_as: [markdown]",
               "    exposure: internet\n    authenticated: true\n    output_rendered_as: [markdown]")
    code, out, _ = run("diff", folder)
    assert code == 0
    assert "\nelements\n  ~ chat-ui: Chat web app (process)\n      exposure: internal -> internet\n" in out
    code, raw, _ = run("diff", folder, "--format", "json")
    data = json.loads(raw)
    assert data["from_label"] == "iteration 1" and data["to_label"] == "the working copy"
    assert data["elements"]["changed"][0]["fields"] == [{"field": "exposure", "old": "internal", "new": "internet"}]


def test_diff_between_two_iterations(folder: Path) -> None:
    new_iteration(folder)
    edit_model(folder, "    name: Chat web app\n", "    name: Chat front end\n")
    new_iteration(folder, "renamed the chat UI")
    expected = ("changes from iteration 1 to iteration 2\n\nelements\n  ~ chat-ui: Chat front end (process)\n"
                "      name: Chat web app -> Chat front end\n")
    for args in (("--from", "1", "--to", "2"), ("--to", "2")):
        code, out, _ = run("diff", folder, *args)
        assert code == 0 and out == expected
    code, out, _ = run("diff", folder)  # default: the latest iteration against the working copy
    assert out == "changes from iteration 2 to the working copy: no changes\n"


@pytest.mark.parametrize("args", [("--from", "7"), ("--to", "9"), ("--to", "1")])
def test_diff_with_an_iteration_that_does_not_exist(folder: Path, args: tuple[str, ...]) -> None:
    new_iteration(folder)
    code, out, err = run("diff", folder, *args)
    assert code == 2 and out == ""
    assert "hint: recorded iterations: 1" in err
    assert "dicetm-iterations" in err  # located: the folder the iteration would be in


def test_diff_before_any_iteration_says_how_to_record_one(folder: Path) -> None:
    code, _, err = run("diff", folder)
    assert code == 2
    assert "no iteration is recorded yet" in err and "dicetm iteration new" in err


def test_diff_shows_decisions_and_the_ones_a_model_change_made_stale(folder: Path) -> None:
    from dicetm.review import DecisionInput, decide

    new_iteration(folder)
    register = decide(folder, [DecisionInput(item=t.id, action="accept")
                               for t in review.analyze_workspace(folder, write=False)[1].threats
                               if "@chat-ui" in t.id], reviewer="Sam Roe")
    accepted = sorted(t.id for t in register.threats if t.status.value == "accepted")
    assert accepted
    edit_model(folder, "    exposure: internal\n    authenticated: true\n    output_rendered_as: [markdown]",
               "    exposure: internal\n    authenticated: true\n    output_rendered_as: [markdown, html]")
    code, raw, _ = run("diff", folder, "--format", "json")
    assert code == 0
    data = json.loads(raw)
    assert sorted(s["id"] for s in data["stale"]) == accepted
    assert all(s["was"] == "accepted" and s["changes"] for s in data["stale"])
    _, text, _ = run("diff", folder)
    assert "\nstale decisions\n" in text and "[was accepted by Sam Roe, now stale]" in text
    new_iteration(folder, "after the review")
    _, text, _ = run("diff", folder, "--from", "1", "--to", "2")
    assert "[was accepted by Sam Roe, now stale]" in text
    assert "\nthreat reviews\n" not in text  # going stale is listed once, under stale decisions
