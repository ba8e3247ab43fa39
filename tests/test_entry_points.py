"""Every entry point outside `modelops` ends a config error, a manifest error or Ctrl-C as `modelops` does: one
`error:` line on stderr and exit 2 (input) or 130 (interrupted), never a traceback.

`cdk synth` and `cdk ls` run `python app.py` (cdk.json) and print its stderr, then their own
`.venv/bin/python app.py: Subprocess exited with error 2` (exit 1); `make synth` and `make generate` run
`python -m deployment.generate`, and make adds its `make: *** [...] Error 2`. Those are the tools' own lines.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import botocore
import pytest
import yaml

from shared_services.approval_bundle import bundle_directory
from tests.orgs import config_path, load_org, org_data, workloads_root
from tests.repository_copy import copy_repository

REPO_ROOT = Path(__file__).resolve().parents[1]


def _bad_region_config(tmp_path: Path) -> Path:
    data = org_data("two_env")
    data["organization"]["region"] = "eu-west-9"
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _bad_region_line(path: Path) -> str:
    return (
        f"error: {path}: organization.region: 'eu-west-9' is not an AWS region botocore {botocore.__version__} "
        "knows (nearest: eu-west-1, eu-west-2, eu-west-3)"
    )


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False
    )


def test_a_config_error_through_app_py_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = _bad_region_config(tmp_path)

    ran = _run([sys.executable, "app.py"], MODELOPS_CONFIG=str(path), CDK_OUTDIR=str(tmp_path / "cdk.out"))

    assert (ran.returncode, ran.stderr.splitlines(), ran.stdout) == (2, [_bad_region_line(path)], "")


def test_a_manifest_error_through_app_py_is_one_line_and_exit_2(tmp_path: Path) -> None:
    manifest = tmp_path / "workloads" / "qa" / "churn-model.yaml"
    manifest.parent.mkdir(parents=True)
    data = yaml.safe_load((workloads_root("two_env") / "qa" / "churn-model.yaml").read_text())
    data["replicas"] = 3
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))

    ran = _run(
        [sys.executable, "app.py"],
        MODELOPS_CONFIG=str(config_path("two_env")),
        MODELOPS_WORKLOADS=str(tmp_path / "workloads"),
        CDK_OUTDIR=str(tmp_path / "cdk.out"),
    )

    assert (ran.returncode, ran.stderr.splitlines()) == (
        2,
        [f"error: {manifest}: replicas: unknown key (check the spelling; unknown keys are rejected)"],
    )


def test_a_config_error_through_the_generate_step_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = _bad_region_config(tmp_path)

    ran = _run([sys.executable, "-m", "deployment.generate", "--check"], MODELOPS_CONFIG=str(path))

    assert (ran.returncode, ran.stderr.splitlines(), ran.stdout) == (2, [_bad_region_line(path)], "")


# What app.py and the generate step run: entry_point.run around a synth. It says when the synth starts, so the
# test presses Ctrl-C while Node is busy synthesizing (about ten seconds here; Ctrl-C comes after one).
SYNTH_DRIVER = """
import sys
from deployment import entry_point
from tests.orgs import load_org, workloads_root

def main():
    from deployment.cdk_app import build_app
    app = build_app(load_org("two_env"), workloads_root=workloads_root("two_env"), outdir=sys.argv[1])
    print("synthesizing", flush=True)
    app.synth()
    print("synthesized", flush=True)
    return 0

entry_point.run(main)
"""


def press_ctrl_c_after(process: subprocess.Popen[str], stream: str, line: str, *, seconds: float) -> None:
    """Wait for `line` on the process's `stream`, then send SIGINT to its process group, as a terminal does
    (jsii's Node kernel, a child in that group, gets it too)."""
    pipe = process.stdout if stream == "stdout" else process.stderr
    assert pipe is not None
    for seen in pipe:
        if seen.rstrip("\n") == line:
            break
    else:
        pytest.fail(f"the process ended before printing {line!r}")
    time.sleep(seconds)
    os.killpg(process.pid, signal.SIGINT)


def test_ctrl_c_while_node_synthesizes_exits_130_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SYNTH_DRIVER, str(tmp_path / "cdk.out")],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, which the test's SIGINT stands for the terminal's
    )
    press_ctrl_c_after(process, "stdout", "synthesizing", seconds=1.0)
    stdout, stderr = process.communicate(timeout=60)

    assert (process.returncode, stderr.splitlines(), stdout) == (130, ["error: interrupted"], "")


def test_importing_the_cli_silences_jsiis_node_end_of_life_banner_before_aws_cdk_loads() -> None:
    env = {key: value for key, value in os.environ.items() if key != "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"}

    ran = subprocess.run(
        [sys.executable, "-c", "import cli.main, aws_cdk"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (ran.returncode, ran.stderr) == (0, "")


def test_a_synth_through_app_py_prints_nothing(tmp_path: Path) -> None:
    """No "Bundling asset ..." (the Lambda bundle is a prebuilt asset directory) and no jsii banner."""
    env = {key: value for key, value in os.environ.items() if key != "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"}
    env |= {
        "MODELOPS_CONFIG": str(config_path("two_env")),
        "MODELOPS_WORKLOADS": str(workloads_root("two_env")),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    ran = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )

    assert (ran.returncode, ran.stderr, ran.stdout) == (0, "", "")
    assert (tmp_path / "cdk.out" / "manifest.json").is_file()


def test_the_lambda_bundle_is_built_once_per_process_and_organisation() -> None:
    config = load_org("two_env")
    first = bundle_directory(config)
    built = {path: path.stat().st_mtime_ns for path in first.rglob("*") if path.is_file()}

    again = bundle_directory(load_org("two_env"))

    assert again == first
    assert {path: path.stat().st_mtime_ns for path in again.rglob("*") if path.is_file()} == built
    assert bundle_directory(load_org("four_env")) != first  # the bundle carries the organisation's config


def _test_suite_in(copy: Path) -> subprocess.CompletedProcess[str]:
    """`make test`'s pytest command, run in `copy`."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", "--cov", "-m", "not fork"],
        cwd=copy,
        env={**environment, "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_test_suite_stops_at_a_config_error_of_the_shipped_organisation_printing_it_once(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy_repository(copy)
    _bad_region_config(tmp_path).replace(copy / "accounts" / "accounts.yaml")

    ran = _test_suite_in(copy)

    assert (ran.returncode, ran.stderr.splitlines(), ran.stdout) == (
        2,
        [
            f"error: accounts/accounts.yaml: organization.region: 'eu-west-9' is not an AWS region botocore "
            f"{botocore.__version__} knows (nearest: eu-west-1, eu-west-2, eu-west-3)"
        ],
        "",
    )


def test_the_test_suite_stops_at_a_manifest_error_of_a_test_organisation_printing_it_once(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy_repository(copy)
    manifest = copy / "tests" / "orgs" / "four_env" / "workloads" / "dev" / "churn-model.yaml"
    manifest.write_text(manifest.read_text() + "replicas: 3\n")

    ran = _test_suite_in(copy)

    assert (ran.returncode, ran.stderr.splitlines(), ran.stdout) == (
        2,
        [
            "error: tests/orgs/four_env/workloads/dev/churn-model.yaml: replicas: unknown key (check the spelling; "
            "unknown keys are rejected)"
        ],
        "",
    )


def test_after_ctrl_c_only_jsiis_stderr_relay_is_silenced(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Node host prints `Error on jsii API channel to child process` as soon as the kernel gets the
    terminal's SIGINT, through jsii's relay thread, which reads `sys` from its own module at each line."""
    import jsii._kernel.providers.process as relay

    from deployment import entry_point

    monkeypatch.setattr(relay, "sys", sys)  # restored after the test
    entry_point._quiet_jsii_relay()

    quiet = relay.sys.stderr  # type: ignore[attr-defined]
    print("Error on jsii API channel to child process", file=quiet)
    assert quiet is not sys.stderr
    assert relay.sys.stdout is sys.stdout  # type: ignore[attr-defined]
    assert isinstance(quiet, io.StringIO)
    assert quiet.getvalue().endswith("child process\n")
