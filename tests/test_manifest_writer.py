"""Pinning an ARN rewrites one line of a manifest, atomically, and never over someone else's change."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion import manifest_writer
from promotion.errors import ConcurrentUpdate
from tests.orgs import workloads_root

V1 = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/1"
V3 = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3"
# What v3 was registered with, as `promote` copies it from the version's record.
V3_CONTENT = {
    "artifact": "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v3/model.tar.gz",
    "artifact_version": "v3.version-id",
    "artifact_sha256": "3" * 64,  # digits only: written quoted, or YAML would load a number
    "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-model@sha256:" + "c" * 64,
}
SHOWN = {**V3_CONTENT, "artifact_sha256": "'" + "3" * 64 + "'"}


def snapshot_of(path: Path, config: OrgConfig, env: str) -> manifest_writer.Snapshot:
    snapshot, _manifest = manifest_writer.take_snapshot(path, config, env=env, model="churn-model")
    return snapshot


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_only_the_arn_and_content_lines_change_comments_and_settings_stay_byte_for_byte(
    config: OrgConfig, env: str
) -> None:
    path = workloads_root("two_env") / env / "churn-model.yaml"
    original = path.read_text()
    rendered = manifest_writer.render_pin(snapshot_of(path, config, env), V3, config, V3_CONTENT)
    expected = original.replace(f"model_package_arn: {V1}\n", f"model_package_arn: {V3}\n")
    for line in original.splitlines():
        key = line.strip().split(":", 1)[0]
        if line.startswith("  ") and key in V3_CONTENT:
            expected = expected.replace(line, f"  {key}: {SHOWN[key]}")
    assert rendered == expected
    assert rendered != original


def test_the_diff_is_a_git_style_unified_diff(config: OrgConfig) -> None:
    path = workloads_root("two_env") / "qa" / "churn-model.yaml"
    snapshot = snapshot_of(path, config, "qa")
    diff = manifest_writer.unified_diff(
        snapshot, manifest_writer.render_pin(snapshot, V3, config, V3_CONTENT), "workloads/qa/x.yaml"
    )
    assert [line for line in diff.splitlines() if line[:1] in "+-"] == [
        "--- a/workloads/qa/x.yaml",
        "+++ b/workloads/qa/x.yaml",
        f"-model_package_arn: {V1}",
        f"+model_package_arn: {V3}",
        "-  artifact: s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v1/model.tar.gz",
        "-  artifact_version: 3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        "-  artifact_sha256: cf659d96c9a6fd3350165592bb2c9e174b785acaa208ffae950998f987368d7e",
        "-  image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-model@sha256:"
        "60ecdd2e71c37c02194644425fb6d85d426d1503189b0b1e42d85743a13c5ea8",
        f"+  artifact: {SHOWN['artifact']}",
        f"+  artifact_version: {SHOWN['artifact_version']}",
        f"+  artifact_sha256: {SHOWN['artifact_sha256']}",
        f"+  image: {SHOWN['image']}",
    ]


def test_a_model_new_to_an_environment_gets_a_minimal_manifest(config: OrgConfig, tmp_path: Path) -> None:
    snapshot = snapshot_of(tmp_path / "qa" / "churn-model.yaml", config, "qa")
    assert snapshot.original is None
    assert manifest_writer.render_pin(snapshot, V3, config, V3_CONTENT) == (
        "# churn-model in qa. `modelops promote` rewrites model_package_arn and content (the\n"
        "# registered artifact version, SHA-256 and image digest) and keeps everything else,\n"
        "# comments included. Review the ARN and digest change in the PR.\n"
        f"model: churn-model\nmodel_package_arn: {V3}\ncontent:\n"
        f"  artifact: {V3_CONTENT['artifact']}\n"
        f"  artifact_version: {V3_CONTENT['artifact_version']}\n"
        f"  artifact_sha256: {SHOWN['artifact_sha256']}\n"
        f"  image: {V3_CONTENT['image']}\n"
    )


def test_a_manifest_that_fails_validation_is_refused_before_anything_is_written(
    config: OrgConfig, workloads: Path
) -> None:
    path = workloads / "qa" / "churn-model.yaml"
    path.write_text(path.read_text().replace("instance_count: 1", "instance_count: 0"))
    with pytest.raises(InputError) as raised:
        manifest_writer.take_snapshot(path, config, env="qa", model="churn-model")
    assert str(raised.value) == f"{path}: instance_count: Input should be greater than or equal to 1"


def test_a_rewrite_that_would_not_load_is_never_written(config: OrgConfig, workloads: Path) -> None:
    path = workloads / "qa" / "churn-model.yaml"
    other_group = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-model/2"
    with pytest.raises(InputError) as raised:
        manifest_writer.render_pin(snapshot_of(path, config, "qa"), other_group, config, V3_CONTENT)
    assert str(raised.value) == (
        f"{path}: model_package_arn: {other_group} is in group 'fraud-model'; expected the manifest's model "
        "'churn-model'"
    )


def test_write_pin_replaces_the_file_and_leaves_no_temporary_file(config: OrgConfig, workloads: Path) -> None:
    path = workloads / "qa" / "churn-model.yaml"
    snapshot = snapshot_of(path, config, "qa")
    text = manifest_writer.render_pin(snapshot, V3, config, V3_CONTENT)
    manifest_writer.write_pin(snapshot, text, display="qa/churn-model.yaml")
    assert path.read_text() == text
    assert sorted(p.name for p in path.parent.iterdir()) == ["churn-model.yaml"]


def test_a_change_since_the_snapshot_makes_the_write_fail_and_keeps_that_change(
    config: OrgConfig, workloads: Path
) -> None:
    path = workloads / "qa" / "churn-model.yaml"
    snapshot = snapshot_of(path, config, "qa")
    text = manifest_writer.render_pin(snapshot, V3, config, V3_CONTENT)
    someone_elses = path.read_text().replace("/churn-model/1", "/churn-model/2")
    path.write_text(someone_elses)
    with pytest.raises(ConcurrentUpdate) as raised:
        manifest_writer.write_pin(snapshot, text, display="workloads/qa/churn-model.yaml")
    assert str(raised.value) == (
        "workloads/qa/churn-model.yaml changed while this promotion was running (another promotion got there "
        "first); nothing was written: run promote again to check the gates against the new pin"
    )
    assert path.read_text() == someone_elses


def test_of_two_writers_from_the_same_snapshot_exactly_one_wins(config: OrgConfig, workloads: Path) -> None:
    path = workloads / "qa" / "churn-model.yaml"
    texts = {
        n: manifest_writer.render_pin(snapshot_of(path, config, "qa"), V1[:-1] + str(n), config, V3_CONTENT)
        for n in (2, 3)
    }
    snapshots = {n: snapshot_of(path, config, "qa") for n in (2, 3)}
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def write(n: int) -> None:
        start.wait()
        try:
            manifest_writer.write_pin(snapshots[n], texts[n], display="qa")
            outcomes[n] = "won"
        except ConcurrentUpdate:
            outcomes[n] = "lost"

    threads = [threading.Thread(target=write, args=(n,)) for n in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["lost", "won"]
    winner = next(n for n, outcome in outcomes.items() if outcome == "won")
    assert path.read_text() == texts[winner]


def test_restore_puts_the_original_back_unless_the_file_moved_on(config: OrgConfig, workloads: Path) -> None:
    path = workloads / "qa" / "churn-model.yaml"
    original = path.read_text()
    snapshot = snapshot_of(path, config, "qa")
    text = manifest_writer.render_pin(snapshot, V3, config, V3_CONTENT)
    manifest_writer.write_pin(snapshot, text, display="qa")
    manifest_writer.restore(snapshot, text)
    assert path.read_text() == original

    manifest_writer.write_pin(snapshot, text, display="qa")
    path.write_text("edited by someone else\n")
    manifest_writer.restore(snapshot, text)
    assert path.read_text() == "edited by someone else\n"


def test_restoring_a_new_manifest_removes_it(config: OrgConfig, tmp_path: Path) -> None:
    path = tmp_path / "qa" / "churn-model.yaml"
    snapshot = snapshot_of(path, config, "qa")
    text = manifest_writer.render_pin(snapshot, V3, config, V3_CONTENT)
    manifest_writer.write_pin(snapshot, text, display="qa")
    assert path.read_text() == text
    manifest_writer.restore(snapshot, text)
    assert not path.exists()
