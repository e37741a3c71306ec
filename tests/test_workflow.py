"""The scheduled CI workflow cannot run here, so its structure is checked: triggers, job wiring,
artifact names, and that every harness command it runs parses with the real command lines."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from matrix.store.paths import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "matrix.yml"
HARNESS_ACTION = PROJECT_ROOT / ".github" / "actions" / "harness" / "action.yml"
PAGES_WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert isinstance(on, dict)
    return on


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def scripts(workflow: dict[Any, Any], job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow, job))


def test_triggers(workflow: dict[Any, Any]) -> None:
    on = triggers(workflow)
    assert on["schedule"][0]["cron"]
    assert set(on["workflow_dispatch"]["inputs"]) >= {"python", "cython", "numpy", "new_releases"}
    assert "cases/**" in on["push"]["paths"]


def test_jobs_wire_together(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    assert jobs["measure"]["needs"] == "plan"
    assert set(jobs["recheck"]["needs"]) == {"plan", "measure"}
    assert set(jobs["publish"]["needs"]) == {"plan", "measure", "recheck", "canary"}
    assert jobs["canary"]["needs"] == "plan"
    assert jobs["recheck"]["strategy"]["matrix"]["include"] == \
        "${{ fromJSON(needs.plan.outputs.targets) }}"
    include = jobs["measure"]["strategy"]["matrix"]["include"]
    assert include == "${{ fromJSON(needs.plan.outputs.jobs) }}"
    assert "jobs" in jobs["plan"]["outputs"] and "shards" in jobs["plan"]["outputs"]
    assert jobs["measure"]["strategy"]["fail-fast"] is False
    for job in ("measure", "recheck"):
        assert jobs[job]["strategy"]["max-parallel"] <= 20, "GitHub Free runs 20 jobs at once"
    plan_script = scripts(workflow, "plan")
    for output in jobs["plan"]["outputs"]:
        assert (f'echo "{output}=' in plan_script or (
            output in ("jobs", "targets") and "python -m matrix.plan.ci" in plan_script)), (
            f"plan sets output {output}")


def test_one_toolchain_for_the_whole_run(workflow: dict[Any, Any]) -> None:
    """Every job on the same runner image, no container (each python:X image brought its own
    Debian and gcc), the harness installed the same way in each; the measuring jobs install
    every interpreter of the list (the generators of shipped C included)."""
    jobs = workflow["jobs"]
    assert {job["runs-on"] for job in jobs.values()} == {"ubuntu-24.04"}
    assert not any("container" in job for job in jobs.values())
    for name, job in jobs.items():
        (harness,) = [s for s in job["steps"] if s.get("uses") == "./.github/actions/harness"]
        assert harness["with"]["host-python"] == "${{ env.HOST_PYTHON }}"
        assert harness["with"].get("interpreters", "true") == (
            "true" if name in ("measure", "recheck", "canary") else "false"), name
    action = yaml.safe_load(HARNESS_ACTION.read_text())
    runs = "\n".join(s.get("run", "") for s in action["runs"]["steps"])
    assert ".ci/install-pythons" in runs and "curl" not in runs


def test_least_privilege(workflow: dict[Any, Any]) -> None:
    """Read-only at the top; only publish may write (and only what it writes)."""
    assert workflow["permissions"] == {"contents": "read"}
    writers = {name: job["permissions"] for name, job in workflow["jobs"].items()
               if "permissions" in job}
    assert writers == {"publish": {"contents": "write", "pull-requests": "write",
                                   "actions": "write"}}


def test_pinned_tools(workflow: dict[Any, Any]) -> None:
    """uv through setup-uv at a pinned version; every third-party action pinned to a commit,
    its release in a comment; artifacts expire."""
    action = yaml.safe_load(HARNESS_ACTION.read_text())
    (setup,) = [s for s in action["runs"]["steps"]
                if s.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert re.fullmatch(r"\d+\.\d+\.\d+", setup["with"]["version"])
    for path in (WORKFLOW, HARNESS_ACTION, PAGES_WORKFLOW):
        for line in path.read_text().splitlines():
            match = re.search(r"uses:\s*([\w.-]+/[\w./-]+)@(\S+)(.*)", line)
            if match and not match.group(1).startswith("actions/"):
                assert re.fullmatch(r"[0-9a-f]{40}", match.group(2)), line
                assert re.search(r"#\s*v\d+\.\d+\.\d+", match.group(3)), line
    uploads = [s for job in workflow["jobs"] for s in steps(workflow, job)
               if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and all(s["with"]["retention-days"] <= 30 for s in uploads)


def test_plan_emits_a_valid_job_matrix(workflow: dict[Any, Any], tmp_path: Path) -> None:
    """Run the plan step's own script and check the matrix it emits."""
    import json

    outputs = run_plan_step(workflow, tmp_path, {"python": "2.7,3.11,cp313t,pypy3.11"},
                            "workflow_dispatch")
    jobs = json.loads(outputs["jobs"])
    assert {"python": "2.7", "shard": 1} in jobs and {"python": "3.11", "shard": 3} in jobs
    assert {"python": "3.13t", "shard": 2} in jobs and {"python": "pypy3.11", "shard": 1} in jobs
    assert len(jobs) == 12
    assert json.loads(outputs["targets"]) == [
        {"python": p} for p in ("2.7", "3.11", "3.13t", "pypy3.11")]


def test_the_fan_out_fits_githubs_limits(workflow: dict[Any, Any], tmp_path: Path) -> None:
    """At most 256 jobs per matrix: a plan over the limit fails, saying so."""
    import json
    import subprocess

    from matrix.plan.ci import MAX_JOBS

    jobs = json.loads(run_plan_step(workflow, tmp_path, {}, "schedule")["jobs"])
    assert 0 < len(jobs) <= MAX_JOBS
    with pytest.raises(subprocess.CalledProcessError):
        run_plan_step(workflow, tmp_path, {"shards": "100"}, "workflow_dispatch")


def test_a_dry_run_measures_a_slice_and_publishes_nothing(workflow: dict[Any, Any],
                                                          tmp_path: Path) -> None:
    outputs = run_plan_step(workflow, tmp_path, {"dry_run": "true"}, "workflow_dispatch")
    assert "--quick" in outputs["selection"].split()
    (pr,) = [s for s in steps(workflow, "publish") if s.get("id") == "pr"]
    assert "inputs.dry_run != true" in pr["if"]


def test_the_default_python_list_is_the_interpreter_data(workflow: dict[Any, Any],
                                                          tmp_path: Path) -> None:
    """The scheduled run measures each kind's `ci` versions of interpreters.toml: CI keeps no
    list of its own (it once lacked 3.14 and 3.15)."""
    import json

    from matrix.model.interpreters import KINDS, ci_pythons

    assert "DEFAULT_PYTHONS" not in workflow["env"]
    jobs = json.loads(run_plan_step(workflow, tmp_path, {}, "schedule")["jobs"])
    pythons = list(dict.fromkeys(j["python"] for j in jobs))
    assert pythons == ci_pythons()
    assert {"3.14", "3.15", "3.13t", "pypy3.11"} <= set(pythons)
    assert len(pythons) == sum(len(k.ci) for k in KINDS.values() if k.enabled)


def test_ci_measures_the_pythons_the_published_grid_holds(workflow: dict[Any, Any],
                                                           tmp_path: Path) -> None:
    """The weekly job lists no Python the published grid lacks, and the grid holds none the job
    does not list (its rows would never gain new releases)."""
    import csv
    import gzip
    import io
    import json

    published = PROJECT_ROOT / "docs" / "compat.csv.gz"
    rows = csv.DictReader(io.StringIO(gzip.decompress(published.read_bytes()).decode("utf-8")))
    jobs = json.loads(run_plan_step(workflow, tmp_path, {}, "schedule")["jobs"])
    assert {j["python"] for j in jobs} == {row["python"] for row in rows}


def test_a_python_the_data_does_not_know_fails_the_plan(workflow: dict[Any, Any],
                                                        tmp_path: Path) -> None:
    import subprocess

    with pytest.raises(subprocess.CalledProcessError):
        run_plan_step(workflow, tmp_path, {"python": "3.11,jython2.7"}, "workflow_dispatch")


def test_artifacts_flow_from_measure_to_publish(workflow: dict[Any, Any]) -> None:
    upload = next(s for s in steps(workflow, "measure")
                  if s.get("uses", "").startswith("actions/upload-artifact"))
    download = next(s for s in steps(workflow, "publish")
                    if s.get("uses", "").startswith("actions/download-artifact"))
    name = upload["with"]["name"].replace("${{ matrix.python }}", "3.11").replace(
        "${{ matrix.shard }}", "2")
    assert fnmatch.fnmatch(name, download["with"]["pattern"])
    uploaded = upload["with"]["path"].split()
    assert uploaded == ["shard-results/store.json", "shard-results/*.jsonl",
                        "shard-results/*/*.jsonl"], "a delta store, not the whole store"
    assert download["with"]["path"] == "shards"
    assert "python -m matrix publish shards/*/" in scripts(workflow, "publish")
    assert "--results shard-results --held results" in scripts(workflow, "measure")


def harness_commands(text: str, module: str) -> list[list[str]]:
    """Every ``python -m <module> ...`` command line in a script, expressions filled in."""
    text = text.replace("\\\n", " ")
    samples = {
        "${{ matrix.python }}": "3.11", "${{ matrix.shard }}": "2",
        "${{ needs.plan.outputs.shards }}": "3",
        "${{ needs.plan.outputs.selection }}": "--cython 3.0.* --new-releases",
        '"$GITHUB_STEP_SUMMARY"': "summary.md",
        '"${inputs[@]}"': "shards/a/ results",
    }
    for expression, value in samples.items():
        text = text.replace(expression, value)
    commands = []
    for line in text.splitlines():
        match = re.search(rf"python -m {module} (.*)$", line)
        if match:
            commands.append(shlex.split(match.group(1)))
    return commands


def run_plan_step(workflow: dict[Any, Any], tmp_path: Path, inputs: dict[str, str],
                  event: str) -> dict[str, str]:
    """Run the plan step's own script, as Actions would, and read the outputs it sets."""
    import subprocess

    step = next(s for s in steps(workflow, "plan") if s.get("id") == "plan")
    output = tmp_path / "github_output"
    output.write_text("")
    # `python` is this interpreter, with the harness importable, as after the job's install.
    path = os.pathsep.join((str(Path(sys.executable).parent), os.environ["PATH"]))
    env = {"PATH": path, "GITHUB_OUTPUT": str(output), "EVENT": event,
           "PYTHONPATH": str(PROJECT_ROOT),
           **{k: str(v) for k, v in workflow["env"].items()}}
    for name, expression in step["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.(\w+) \}\}", expression)
        if match:
            env[name] = inputs.get(match.group(1), "")
    subprocess.run(["bash", "-e", "-c", step["run"]], env=env, check=True)
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


def fill(text: str, context: dict[str, str]) -> str:
    """Replace every ``${{ name }}`` from ``context``; an unknown one fails the test."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in context, f"the test does not know ${{{{ {name} }}}}"
        return context[name]

    return re.sub(r"\$\{\{ ([\w.-]+) \}\}", value, text)


@pytest.mark.parametrize(("event", "inputs", "new_releases"), [
    ("workflow_dispatch", {"python": "2.7,3.11", "cython": "3.0.*", "shards": "4"}, False),
    ("workflow_dispatch", {"python": "3.12", "numpy": "2.1.3", "new_releases": "true"}, True),
    ("schedule", {}, True),
])
def test_measure_runs_what_the_plan_derived_from_the_inputs(
        workflow: dict[Any, Any], tmp_path: Path, event: str, inputs: dict[str, str],
        new_releases: bool) -> None:
    """From dispatch inputs to the command each measure job runs: the plan step really runs,
    its outputs fill the measure step, and the parsed command must carry the *inputs*."""
    import json

    from matrix.cli import build_parser

    outputs = run_plan_step(workflow, tmp_path, inputs, event)
    jobs = json.loads(outputs["jobs"])
    from matrix.model.interpreters import ci_pythons

    pythons = inputs["python"].split(",") if inputs.get("python") else ci_pythons()
    shards = int(inputs.get("shards") or 3)
    assert sorted((j["python"], j["shard"]) for j in jobs) == sorted(
        (p, i) for p in pythons for i in range(1, shards + 1))
    for job in jobs:
        context = {"matrix.python": job["python"], "matrix.shard": str(job["shard"]),
                   **{f"needs.plan.outputs.{k}": v for k, v in outputs.items()}}
        (command,) = harness_commands(fill(scripts(workflow, "measure"), context), "matrix")
        args = build_parser().parse_args(command)
        assert args.func.__name__ == "cmd_run"
        assert args.python == job["python"]
        assert args.shard == f"{job['shard']}/{shards}"
        assert args.cython == inputs.get("cython") and args.numpy == inputs.get("numpy")
        assert args.new_releases is new_releases
        assert args.any_toolchain, "CI images must not re-measure what another toolchain holds"
        assert args.results == "shard-results"
        assert args.held == ["results"], "the committed store is read, never uploaded"


def test_pages_deploys_what_main_holds(workflow: dict[Any, Any]) -> None:
    """The page is deployed from main when docs/ changes there (the weekly run's pull request
    once merged), never from a run's own rendering: the site shows no data main lacks."""
    pages = yaml.safe_load(PAGES_WORKFLOW.read_text())
    on = triggers(pages)
    assert on["push"] == {"branches": ["main"], "paths": ["docs/**"]}
    assert "workflow_dispatch" in on and "schedule" not in on
    assert pages["permissions"] == {"contents": "read"}
    (deploy,) = pages["jobs"].values()
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    used = [s["uses"].split("@")[0] for s in deploy["steps"]]
    assert used == ["actions/checkout", "actions/upload-pages-artifact", "actions/deploy-pages"]
    assert deploy["steps"][1]["with"]["path"] == "docs"
    assert not any("pages" in s.get("uses", "") for job in workflow["jobs"]
                   for s in steps(workflow, job)), "the weekly run deploys nothing itself"
    from report.publish import TEXT_RENDERERS

    assert {"index.html", "compat-data.js"} <= set(TEXT_RENDERERS), "render writes the page"


def test_every_matrix_command_parses(workflow: dict[Any, Any]) -> None:
    from matrix.cli import build_parser

    commands = harness_commands(scripts(workflow, "publish"), "matrix")
    assert {c[0] for c in commands} == {"publish"}
    for command in commands:
        build_parser().parse_args(command)


def test_publish_fails_only_on_regressions_that_recheck_confirmed(
        workflow: dict[Any, Any], tmp_path: Path) -> None:
    """recheck runs (per Python, on the merged shards, against the published run) before
    publish; publish adds every re-measurement log to the committed one before rendering, and
    its regressions step fails only on confirmed regressions."""
    from matrix.cli import build_parser
    from report.cli import build_parser as report_parser

    recheck_script = scripts(workflow, "recheck")
    merge_at = recheck_script.index("python -m matrix merge merged")
    (command,) = [c for c in harness_commands(recheck_script, "matrix") if c[0] == "recheck"]
    assert recheck_script.index("python -m matrix recheck") > merge_at
    args = build_parser().parse_args(command)
    assert args.func.__name__ == "cmd_recheck"
    assert (args.python, args.results, args.baseline, args.attempts) == (
        "3.11", "merged", "results", 2)
    (download,) = [s for s in steps(workflow, "recheck")
                   if s.get("uses", "").startswith("actions/download-artifact")]
    assert download["with"]["pattern"] == "records-py${{ matrix.python }}-shard*", (
        "recheck downloads only its Python's deltas")
    upload = next(s for s in steps(workflow, "recheck")
                  if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == f"{args.results}/rechecks.jsonl"
    downloads = [s for s in steps(workflow, "publish")
                 if s.get("uses", "").startswith("actions/download-artifact")]
    name = upload["with"]["name"].replace("${{ matrix.python }}", "3.11")
    (logs,) = [s for s in downloads if fnmatch.fnmatch(name, s["with"]["pattern"])]
    publish = [s.get("run", "") for s in steps(workflow, "publish")]
    append = next(i for i, text in enumerate(publish)
                  if f"{logs['with']['path']}/*/rechecks.jsonl" in text)
    assert ">> results/rechecks.jsonl" in publish[append]
    merge = next(i for i, text in enumerate(publish) if "python -m matrix publish" in text)
    render = next(i for i, text in enumerate(publish) if "python -m report render" in text)
    guard = next(i for i, text in enumerate(publish) if ".ci/size_guard.py" in text)
    regress = next(i for i, text in enumerate(publish) if "python -m report regressions" in text)
    assert append < merge < render < guard < regress, (
        "the log first (compaction keeps what it refers to), the size guard before the PR")
    (regressions,) = harness_commands(publish[regress], "report")
    parsed = report_parser().parse_args(regressions)
    assert parsed.confirmed, "flaky or unconfirmed changes must not fail the scheduled job"


def test_the_recheck_step_skips_a_python_without_deltas(workflow: dict[Any, Any],
                                                       tmp_path: Path) -> None:
    """The recheck steps' own scripts, with ``python`` standing in: a Python with no delta
    downloaded is skipped (exit 0); one with deltas is merged and re-checked."""
    import subprocess

    merge_step, recheck_step = [s for s in steps(workflow, "recheck")
                                if "python -m matrix" in s.get("run", "")]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python"
    fake.write_text('#!/bin/sh\necho "$@" >> "$CALLS"\n'
                    'if [ "$3" = merge ]; then mkdir -p "$4" && touch "$4/store.json"; fi\n')
    fake.chmod(0o755)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "store.json").write_text('{"layout": 2}\n')
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(tmp_path / "calls")}
    for python, deltas in (("3.11", False), ("3.12", True)):
        if deltas:
            (tmp_path / "shards" / "records-py3.12-shard1").mkdir(parents=True)
        for step in (merge_step, recheck_step):
            script = fill(step["run"], {"matrix.python": python})
            subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, check=True)
        calls = (tmp_path / "calls").read_text() if (tmp_path / "calls").exists() else ""
        assert ("matrix merge merged shards/records-py3.12-shard1/ results" in calls) is deltas
        assert ("matrix recheck --python 3.12" in calls) is deltas


def test_every_report_command_parses(workflow: dict[Any, Any]) -> None:
    from report.cli import build_parser

    commands = harness_commands(scripts(workflow, "publish"), "report")
    assert [c[0] for c in commands] == ["render", "regressions"]
    for command in commands:
        build_parser().parse_args(command)


def test_every_script_is_valid_bash(workflow: dict[Any, Any]) -> None:
    import subprocess

    action = yaml.safe_load(HARNESS_ACTION.read_text())
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        done = subprocess.run(["bash", "-n"], input=step["run"], text=True, capture_output=True)
        assert done.returncode == 0, f"harness action: {step.get('name')}: {done.stderr}"
    done = subprocess.run(["bash", "-n", str(PROJECT_ROOT / ".ci" / "install-pythons")],
                          text=True, capture_output=True)
    assert done.returncode == 0, f".ci/install-pythons: {done.stderr}"
    for job in workflow["jobs"]:
        for step in steps(workflow, job):
            if "run" in step:
                done = subprocess.run(["bash", "-n"], input=step["run"], text=True,
                                      capture_output=True)
                assert done.returncode == 0, f"{job}: {step.get('name')}: {done.stderr}"


NODE24_MAJORS = {
    "actions/checkout": 5,
    "actions/cache": 5,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "actions/setup-python": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
    "peter-evans/create-pull-request": 8,
    "astral-sh/setup-uv": 7,
}
"""The first major of each action the workflow uses whose ``action.yml`` says ``runs: using:
node24`` (read at each tag: checkout v5.0.0, cache v5, upload-artifact v6, download-artifact
v7, setup-python v6, deploy-pages v5, create-pull-request v8; upload-pages-artifact is a
composite action, whose v5 is the first to use a node24 upload-artifact, v7).  GitHub's hosted
runners dropped node20 in September 2026; no linter knows that yet (actionlint 1.7.12 lists
node20 majors as current), so this table is the check."""


def _uses(path: Path) -> list[tuple[str, str]]:
    """``(action, version)`` of each ``uses:``: the ref, or for a commit pin the release its
    comment names."""
    found = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(?:\s*#\s*(v[\d.]+))?", path.read_text(),
                       flags=re.MULTILINE)
    return [(use.partition("@")[0], comment or use.partition("@")[2]) for use, comment in found]


def test_every_action_runs_on_a_runtime_the_runners_still_have() -> None:
    found = [u for path in (WORKFLOW, HARNESS_ACTION, PAGES_WORKFLOW) for u in _uses(path)
             if not u[0].startswith("./")]
    assert len(found) >= 13
    for name, ref in found:
        assert name in NODE24_MAJORS, f"{name}: add its first node24 major to NODE24_MAJORS"
        major, first = int(ref.lstrip("v").split(".")[0]), NODE24_MAJORS[name]
        assert major >= first, f"{name}@{ref}: a node20 major (node24 from v{first})"


@pytest.mark.parametrize(("path", "schema"), [(WORKFLOW, "vendor.github-workflows"),
                                              (PAGES_WORKFLOW, "vendor.github-workflows"),
                                              (HARNESS_ACTION, "vendor.github-actions")])
def test_the_workflow_and_the_action_are_valid_for_github(path: Path, schema: str) -> None:
    """GitHub's own schemas (vendored in check-jsonschema: no network needed)."""
    import shutil
    import subprocess
    import sys

    tool = (shutil.which("check-jsonschema")
            or str(Path(sys.executable).parent / "check-jsonschema"))
    done = subprocess.run([tool, "--builtin-schema", schema, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


SHIM = '''#!/bin/sh
# `python` in the workflow's scripts: the test's Python, except the commands that would build
# (a measure job's `run`, a recheck job's `recheck`), which stand in as the test says.
echo "$@" >> "$CALLS"
if [ "$1 $2 $3" = "-m matrix run" ]; then exec "$REAL" "$STANDIN" run "$@"; fi
if [ "$1 $2 $3" = "-m matrix recheck" ]; then exec "$REAL" "$STANDIN" recheck "$@"; fi
exec "$REAL" "$@"
'''

STANDIN = '''import sys
from pathlib import Path
import dataclasses
from matrix.store.results import ResultStore
args = sys.argv[2:]
if sys.argv[1] == "run":  # measures one new Cython release: the fixture's 3.1.4 cells as 3.9.9
    held = ResultStore(Path(args[args.index("--held") + 1])).records()
    new = [dataclasses.replace(r, key=r.key[:20] + "9999", cython="3.9.9",
                               cell_id=r.cell_id.replace("cy3.1.4", "cy3.9.9"),
                               timestamp="2026-12-02T03:23:00Z")
           for r in held if r.cython == "3.1.4" and r.python == "3.12"]
    ResultStore(Path(args[args.index("--results") + 1])).append(new)
else:  # recheck: nothing differs that needs re-measuring
    Path(args[args.index("--results") + 1], "rechecks.jsonl").touch()
'''


def run_steps(workflow: dict[Any, Any], job: str, repo: Path, env: dict[str, str],
              context: dict[str, str], upto: str | None = None,
              taken: Callable[[dict[str, Any]], bool] = lambda step: True) -> None:
    """Run a job's ``run`` steps in ``repo``, in order, as Actions would (bash -e; ``uses``
    steps are the test's to emulate), the steps ``taken`` says a run takes; up to and
    including the one whose name holds ``upto``."""
    import subprocess

    for step in steps(workflow, job):
        if "run" not in step or not taken(step):
            continue
        script = fill(step["run"], context)
        step_env = {**env, **{k: fill(str(v), context) for k, v in step.get("env", {}).items()}}
        done = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=step_env,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"{job}: {step.get('name')}:\n{done.stdout}\n{done.stderr}"
        if upto and upto in step.get("name", ""):
            return


def test_a_publication_end_to_end(workflow: dict[Any, Any], tmp_path: Path) -> None:
    """The measure, recheck and publish jobs' own scripts, in a repository made of the report
    fixture: a shard measures a new release into an empty store and uploads only that; recheck
    merges only its Python's deltas; publish merges, compacts, names the last publication as
    the baseline, renders, guards the sizes, compares, tags the publication and releases the
    archive."""
    import glob
    import shutil
    import subprocess
    import sys

    from matrix.store.results import ResultStore

    from .conftest import FIXTURES
    from .test_storeformat import git, make_repo

    fixture = FIXTURES / "report"
    repo = make_repo(tmp_path / "repo")
    shutil.copytree(fixture / "cases", repo / "cases")
    (repo / ".ci").mkdir()
    shutil.copy(PROJECT_ROOT / ".ci" / "size_guard.py", repo / ".ci" / "size_guard.py")
    (repo / ".gitignore").write_text("*.lock\n")
    published = ResultStore(fixture / "records.jsonl").records()
    ResultStore(repo / "results").append(published)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the last publication")
    git(repo, "tag", "results-2026-11-30-run1")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(repo, "remote", "add", "origin", str(origin))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("python", SHIM), ("gh", '#!/bin/sh\necho "gh $@" >> "$CALLS"\n')):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "standin.py").write_text(STANDIN)
    calls = tmp_path / "calls"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls),
           "REAL": sys.executable, "STANDIN": str(tmp_path / "standin.py"),
           "PYTHONPATH": str(PROJECT_ROOT), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
           "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "t", "GIT_COMMITTER_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_EMAIL": "t@example.org"}

    # measure (python 3.12, shard 1 of 1): /opt/host/bin/python is the image's harness Python
    measure = {"matrix.python": "3.12", "matrix.shard": "1",
               "needs.plan.outputs.shards": "1", "needs.plan.outputs.selection": "--new-releases"}
    for step in steps(workflow, "measure"):
        if "run" in step:
            script = fill(step["run"], measure).replace("/opt/host/bin/python", "python")
            subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, check=True)
    upload = next(s for s in steps(workflow, "measure")
                  if s.get("uses", "").startswith("actions/upload-artifact"))
    artifact = repo / "shards" / fill(upload["with"]["name"], measure)
    uploaded = [f for pattern in upload["with"]["path"].split()
                for f in glob.glob(str(repo / pattern))]
    for name in uploaded:  # upload-artifact keeps paths below the patterns' common folder
        target = artifact / Path(name).relative_to(repo / "shard-results")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(name, target)
    delta = ResultStore(artifact).records()
    assert delta and all(r.cython == "3.9.9" for r in delta), "only what the shard measured"
    assert sorted(p.name for p in artifact.iterdir()) == [
        "classes.jsonl", "cp312", "shared.jsonl", "store.json"]

    # recheck (python 3.12): merges its deltas with the published store, re-checks
    run_steps(workflow, "recheck", repo, env, {"matrix.python": "3.12"})
    merged = ResultStore(repo / "merged").records()
    assert len(merged) == len(published) + len(delta)
    assert "-m matrix recheck --python 3.12 --results merged --baseline results" in (
        calls.read_text())
    (repo / "rechecks" / "rechecks-py3.12").mkdir(parents=True)
    shutil.copy(repo / "merged" / "rechecks.jsonl", repo / "rechecks" / "rechecks-py3.12")

    # publish: up to the pull request (create-pull-request is GitHub's), then the tag step
    context = {"steps.pr.outputs.pull-request-head-sha": git(repo, "rev-parse", "HEAD").strip(),
               "github.token": "token", "github.run_number": "7"}
    run_steps(workflow, "publish", repo, env, context)
    store = ResultStore(repo / "results")
    assert {r.key for r in delta} <= {r.key for r in store.records()}
    assert store.baseline["tag"] == "results-2026-11-30-run1", "the last publication"
    changes = (repo / "docs" / "changes.md").read_text()
    assert "New cells (not in the baseline)" in changes
    assert (repo / "docs" / "compat.md").is_file() and (repo / "docs" / "compat.parquet").is_file()
    tags = git(repo, "ls-remote", "--tags", "origin")
    assert "refs/tags/results-" in tags and "-run7" in tags, "the publication is tagged"
    assert "gh release create results-" in calls.read_text()


def test_install_pythons_installs_the_list_the_same_way_everywhere(tmp_path: Path) -> None:
    """.ci/install-pythons reads the CI list from the data and installs each entry one way:
    uv for what uv provides, a cached source build for 2.7/3.6/3.7 (here: already built, so
    nothing is fetched), every bin folder on $GITHUB_PATH."""
    import subprocess
    import sys

    from matrix.model.interpreters import ci_pythons

    pythons = tmp_path / "pythons"
    for release, minor in (("2.7.18", "2.7"), ("3.6.15", "3.6"), ("3.7.17", "3.7")):
        (pythons / release / "bin").mkdir(parents=True)
        (pythons / release / "bin" / f"python{minor}").write_text("#!/bin/sh\n")
        (pythons / release / "bin" / f"python{minor}").chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "uv-calls"
    (bin_dir / "uv").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n'
                                'if [ "$2" = find ]; then echo "/uv/$4/bin/python"; fi\n')
    (bin_dir / "uv").chmod(0o755)
    github_path = tmp_path / "github_path"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONS_DIR": str(pythons),
           "GITHUB_PATH": str(github_path), "PYTHONPATH": str(PROJECT_ROOT),
           "HOME": str(tmp_path)}
    subprocess.run(["bash", str(PROJECT_ROOT / ".ci" / "install-pythons"), sys.executable],
                   env=env, check=True, capture_output=True, text=True)
    installed = [line.split()[-1] for line in calls.read_text().splitlines()
                 if line.startswith("python install")]
    listed = ci_pythons()
    assert installed == [p for p in listed if p not in ("2.7", "3.6", "3.7")]
    assert "3.15" in installed and "3.13t" in installed and "pypy3.9" in installed
    paths = github_path.read_text().splitlines()
    assert len(paths) == len(listed)
    assert paths[:3] == [str(pythons / r / "bin") for r in ("2.7.18", "3.6.15", "3.7.17")]
    assert f"/uv/{listed[-1]}/bin" in paths


def test_the_canary_lane_fails_its_own_job_never_the_publication(
        workflow: dict[Any, Any]) -> None:
    """Issue 37: the canary job measures what is coming into canary/, re-measures every
    difference, uploads its store before its verdict, and fails only its own last step; publish
    waits for it (to take its store) but runs whatever it concluded, and commits canary/."""
    from matrix.cli import build_parser
    from report.cli import build_parser as report_parser

    jobs = workflow["jobs"]
    script = scripts(workflow, "canary")
    commands = harness_commands(script, "matrix")
    run = build_parser().parse_args(next(c for c in commands if c[0] == "run"))
    assert (run.func.__name__, run.pre, run.results) == ("cmd_run", True, "canary")
    again = build_parser().parse_args(next(c for c in commands if c[0] == "recheck"))
    assert (again.func.__name__, again.pre, again.results, again.attempts) == (
        "cmd_recheck", True, "canary", 2)
    (coming,) = harness_commands(script, "report")
    verdict = report_parser().parse_args(coming)
    assert (verdict.func.__name__, verdict.check, verdict.canary) == ("cmd_coming", True, "canary")
    canary_steps = steps(workflow, "canary")
    upload = next(i for i, s in enumerate(canary_steps)
                  if s.get("uses", "").startswith("actions/upload-artifact"))
    check = next(i for i, s in enumerate(canary_steps) if "report coming" in s.get("run", ""))
    assert upload < check and canary_steps[upload]["if"] == "${{ always() }}"
    assert canary_steps[upload]["with"]["path"] == "canary/"
    assert "canary" in jobs["publish"]["needs"]
    assert "needs.canary" not in jobs["publish"]["if"], "a canary verdict never blocks publishing"
    downloads = [s for s in steps(workflow, "publish")
                 if s.get("uses", "").startswith("actions/download-artifact")]
    assert any(s["with"]["pattern"] == canary_steps[upload]["with"]["name"]
               and s["with"]["path"] == "." for s in downloads)
    pr = next(s for s in steps(workflow, "publish") if "create-pull-request" in s.get("uses", ""))
    assert "canary/" in pr["with"]["add-paths"].split()
