"""Issue 12's small defects, each pinned by the behaviour that fixes it: the CLI's working files stay out of git,
`modelops --version`, a decision always carries a reason, and accounts.yaml refuses an unknown region, a rate gate
outside 0..1 and an account id YAML has turned into a number."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import tomllib
from pathlib import Path

import botocore
import pytest
import yaml
from typer.testing import CliRunner, Result

import cli.main
from accounts.config import load_config
from accounts.validation import InputError
from promotion.promote import DEFAULT_PR_BODY_FILE
from tests.orgs import org_data

REPO = Path(__file__).resolve().parent.parent


def modelops(*args: str) -> Result:
    return CliRunner().invoke(cli.main.app, list(args))


# -- .modelops/ is the CLI's scratch folder, never committed ----------------------------------------


def test_the_pr_body_the_cli_writes_under_dot_modelops_is_ignored_by_git(tmp_path: Path) -> None:
    """Git's own reading of the repository's .gitignore, in a scratch repository (a fork's copy or an
    exported tree need not be a git checkout)."""
    assert Path(".modelops/pr.md") == DEFAULT_PR_BODY_FILE
    shutil.copyfile(REPO / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", str(DEFAULT_PR_BODY_FILE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == f".gitignore:{ignore_line('.modelops/')}:.modelops/\t.modelops/pr.md\n"


def ignore_line(pattern: str) -> int:
    lines = (REPO / ".gitignore").read_text().splitlines()
    return lines.index(pattern) + 1


# -- modelops --version ---------------------------------------------------------------------------


def test_version_prints_the_package_version_and_exits_0() -> None:
    result = modelops("--version")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"modelops {cli.main.package_version()}\n", "")


def test_the_version_is_the_installed_packages_and_matches_pyproject() -> None:
    assert cli.main.package_version() == importlib.metadata.version("modelops") == pyproject_version()


def test_a_checkout_that_is_not_installed_reads_its_version_from_pyproject(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert cli.main.package_version() == pyproject_version() == "0.1.0"


def pyproject_version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])


# -- a decision always carries a reason; a usage error is one line ------------------------------------


@pytest.mark.parametrize("command", ["approve", "reject"])
def test_help_marks_the_reason_of_a_decision_required(command: str) -> None:
    options = modelops(command, "--help").stdout.split("Options:\n", 1)[1].splitlines()
    assert options[0] == "  --reason <str>  Why; recorded in the registry and the history.  [required]"


@pytest.mark.parametrize("command", ["approve", "reject"])
def test_a_decision_without_a_reason_is_a_one_line_usage_error(command: str) -> None:
    result = modelops(command, "churn-model", "2")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"error: Missing option '--reason' (see 'modelops {command} --help')\n",
    )


def test_an_unknown_option_of_modelops_itself_is_one_line() -> None:
    result = modelops("--bogus")
    assert (result.exit_code, result.stderr) == (2, "error: No such option: --bogus (see 'modelops --help')\n")


def test_an_unknown_command_of_a_sub_group_is_one_line_naming_the_sub_group() -> None:
    result = modelops("sandbox", "nope")
    assert (result.exit_code, result.stderr) == (2, "error: No such command 'nope' (see 'modelops sandbox --help')\n")


def test_a_bad_argument_value_is_one_line() -> None:
    result = modelops("reject", "churn-model", "two", "--reason", "r")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: Invalid value for 'version': Input should be a valid integer, unable to parse string as an integer "
        "(see 'modelops reject --help')\n",
    )


def test_modelops_without_arguments_still_prints_its_help() -> None:
    result = modelops()
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("Usage: modelops [OPTIONS] COMMAND [ARGS]...\n\n  GitOps for SageMaker models")


# -- accounts.yaml ----------------------------------------------------------------------------------


def error_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        load_config(path)
    return str(raised.value).replace(str(path), "accounts.yaml")


def two_env_with(**changes: object) -> str:
    """The two_env organisation as YAML, with top-level `section__key` values replaced."""
    data = org_data("two_env")
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data[section][key] = value
    return yaml.safe_dump(data, sort_keys=False)


def test_a_region_that_does_not_exist_is_refused_naming_the_nearest_regions(tmp_path: Path) -> None:
    """AWS Regions: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
    (eu-west-1 to eu-west-3 exist; there is no eu-west-9). The list is botocore's bundled endpoint data."""
    assert error_of(tmp_path, two_env_with(organization__region="eu-west-9")) == (
        f"accounts.yaml: organization.region: 'eu-west-9' is not an AWS region botocore {botocore.__version__} "
        "knows (nearest: eu-west-1, eu-west-2, eu-west-3)"
    )


def test_a_region_with_nothing_near_it_is_refused_with_examples(tmp_path: Path) -> None:
    assert error_of(tmp_path, two_env_with(organization__region="xx-nowhere-7")) == (
        f"accounts.yaml: organization.region: 'xx-nowhere-7' is not an AWS region botocore {botocore.__version__} "
        "knows (e.g. us-east-1, eu-west-1)"
    )


@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-7", "mx-central-1", "us-gov-west-1", "cn-north-1"])
def test_regions_botocore_knows_are_accepted(tmp_path: Path, region: str) -> None:
    """AWS Regions: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html"""
    path = tmp_path / "accounts.yaml"
    path.write_text(two_env_with(organization__region=region))
    assert load_config(path).region == region


def with_gate(metric: str, **bounds: float) -> str:
    data = org_data("two_env")
    data["models"][0]["gates"]["prod"]["metrics"][metric] = bounds
    return yaml.safe_dump(data, sort_keys=False)


def test_a_rate_gate_above_one_is_refused_naming_the_model_and_field(tmp_path: Path) -> None:
    """AUC is a probability: "Model quality metrics and Amazon CloudWatch monitoring",
    https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html"""
    assert error_of(tmp_path, with_gate("auc", min=1.85)) == (
        "accounts.yaml: models[0].gates.prod.metrics.auc.min: 1.85 is outside 0..1 for model 'churn-model'; "
        "auc is a rate"
    )


def test_a_negative_rate_bound_is_refused(tmp_path: Path) -> None:
    """False positive rate is a rate: "Model quality metrics and Amazon CloudWatch monitoring",
    https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html"""
    assert error_of(tmp_path, with_gate("false_positive_rate", max=-0.1)) == (
        "accounts.yaml: models[0].gates.prod.metrics.false_positive_rate.max: -0.1 is outside 0..1 for model "
        "'churn-model'; false_positive_rate is a rate"
    )


def test_rate_bounds_of_exactly_0_and_1_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(with_gate("recall", min=0, max=1))
    assert load_config(path).requirements("churn-model", "prod").metrics["recall"].text() == "min 0, max 1"


def test_a_metric_that_is_not_a_rate_may_exceed_one(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(with_gate("rmse", max=12.5))
    assert load_config(path).requirements("churn-model", "prod").metrics["rmse"].text() == "max 12.5"


def data_science_written_as(unquoted: str) -> str:
    """The two_env organisation with accounts.data_science written unquoted, as a person might."""
    text = yaml.safe_dump(org_data("two_env"), sort_keys=False)
    assert "data_science: '222222222222'" in text
    return text.replace("data_science: '222222222222'", f"data_science: {unquoted}")


# An AWS account id is 12 digits and may start with 0: "View AWS account identifiers",
# https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html (its example is 012345678901).


def test_an_unquoted_id_with_a_leading_zero_that_yaml_reads_as_octal_is_refused_saying_how_to_quote_it(
    tmp_path: Path,
) -> None:
    text = data_science_written_as("022222222222")
    assert error_of(tmp_path, text) == (
        "accounts.yaml: accounts.data_science: YAML read 022222222222 as the octal number 2454267026; "
        "quote it ('022222222222') so it stays a 12-digit account id"
    )


def test_an_unquoted_id_with_several_leading_zeros_is_refused_asking_for_quotes(tmp_path: Path) -> None:
    text = data_science_written_as("000222222222")
    assert error_of(tmp_path, text) == (
        "accounts.yaml: accounts.data_science: YAML read the number 38347922, not a 12-digit account id "
        "(an unquoted id loses its leading zeros, and one of digits 0-7 only is read as octal); write it in quotes"
    )


def test_an_eleven_digit_number_is_refused_suggesting_the_lost_leading_zero(tmp_path: Path) -> None:
    text = data_science_written_as("12345678901")
    assert error_of(tmp_path, text) == (
        "accounts.yaml: accounts.data_science: 12345678901 is not a 12-digit account id; if it starts with 0, "
        "quote it ('012345678901') so YAML keeps its leading zero"
    )


def test_an_unquoted_environment_account_is_refused_naming_the_environments_account_field(tmp_path: Path) -> None:
    data = org_data("two_env")
    text = yaml.safe_dump(data, sort_keys=False).replace("account: '444444444444'", "account: 044444444444")
    assert error_of(tmp_path, text) == (
        "accounts.yaml: environments[0].account: YAML read 044444444444 as the octal number 4908534052; "
        "quote it ('044444444444') so it stays a 12-digit account id"
    )


def test_an_unquoted_id_with_an_8_or_9_stays_a_string_and_keeps_its_leading_zero(tmp_path: Path) -> None:
    """YAML 1.1 octal has digits 0-7 only, so 012345678901 is read as the string it was written as."""
    path = tmp_path / "accounts.yaml"
    path.write_text(data_science_written_as("012345678901"))
    assert load_config(path).accounts.data_science == "012345678901"
