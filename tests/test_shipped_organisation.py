"""The shipped organisation: accounts/accounts.yaml, the manifests under workloads/, and the committed files
generated from them (.github/workflows/deploy.yml, .github/CODEOWNERS, policies/rendered/, ACCESS.md), with the
signed-off policies/access.yaml.

A platform team forks the project and rewrites all of these, so every test here holds for any valid
organisation: expectations are derived from the shipped accounts.yaml, never written out. Every other test runs
against the organisations of tests/orgs/ (tests/shipped_guard.py refuses them the shipped files). The shipped
organisation is synthesized once, here; with `--dist loadfile` one worker pays for it.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from accounts import naming
from accounts.config import DEFAULT_CONFIG_PATH, OrgConfig, load_config
from deployment import generate
from deployment.github_pipeline import WORKFLOW_FILE
from policies.access_matrix import ACCESS_YAML, expand, load_matrix
from policies.iam.cloudformation.reader import load_deployment
from policies.proof.invariants import INVARIANTS, Governance
from policies.proof.results import ProofResult, run_proof
from policies.proof.universe import Universe, build_universe
from tests.conftest import REPO_ROOT, Synth, synthesize
from tests.orgs import load_org
from tests.test_least_privilege_proof import disagreements
from tests.untraced import untraced
from workloads.manifest import WORKLOADS_ROOT, load_all


@pytest.fixture(scope="module")
def shipped() -> OrgConfig:
    return load_config(DEFAULT_CONFIG_PATH)


@pytest.fixture(scope="module")
def shipped_synth(shipped: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    # Untraced: the session's own synth already measures the stack code, and a traced synth takes 4x as long.
    with untraced():
        return synthesize(shipped, tmp_path_factory.mktemp("synth-shipped"), WORKLOADS_ROOT)


@pytest.fixture(scope="module")
def shipped_universe(shipped: OrgConfig, shipped_synth: Synth) -> Universe:
    with untraced():  # see tests/untraced.py
        return build_universe(shipped, load_deployment(shipped_synth.outdir))


@pytest.fixture(scope="module")
def shipped_proof(shipped_universe: Universe) -> ProofResult:
    with untraced():  # see tests/untraced.py
        return run_proof(shipped_universe)


# -- the organisation and its manifests ------------------------------------------------------------------------


def test_the_shipped_accounts_yaml_is_a_valid_organisation() -> None:
    assert isinstance(load_config(DEFAULT_CONFIG_PATH), OrgConfig)


def test_every_shipped_manifest_pins_a_configured_model_of_a_chain_environment_in_the_shared_services_registry(
    shipped: OrgConfig,
) -> None:
    manifests = {item.path: item.manifest for items in load_all(shipped, WORKLOADS_ROOT).values() for item in items}
    # Every YAML file under workloads/ is a manifest the app deploys: none lies where load_all does not look.
    assert sorted(manifests) == sorted(WORKLOADS_ROOT.rglob("*.y*ml"))
    models = [model.name for model in shipped.models]
    pointing = {
        path.relative_to(WORKLOADS_ROOT).as_posix(): (
            path.parent.name in shipped.chain,
            (ref.group, ref.group in models),
            ref.account,
            ref.region,
        )
        for path, manifest in manifests.items()
        for ref in [naming.parse_model_package_arn(manifest.model_package_arn)]
    }
    assert pointing == {
        path: (True, (Path(path).stem, True), shipped.accounts.shared_services, shipped.region) for path in pointing
    }


# -- the committed files generated from it -----------------------------------------------------------------------


def test_every_generated_file_is_what_the_generate_step_writes_for_the_shipped_organisation(
    shipped: OrgConfig, shipped_synth: Synth, shipped_universe: Universe, shipped_proof: ProofResult
) -> None:
    expected = generate.generated(
        shipped, shipped_synth.outdir, previous_matrix=ACCESS_YAML, proof=(shipped_universe, shipped_proof)
    )
    assert set(expected.files) == {
        WORKFLOW_FILE,
        generate.CODEOWNERS_FILE,
        generate.ACCESS_YAML,
        generate.ACCESS_MD,
    }
    stale = generate.stale(expected, REPO_ROOT)
    if stale:
        pytest.fail(f"run `{generate.COMMAND}` and commit the result:\n" + "\n".join(stale), pytrace=False)


# -- the least-privilege proof -----------------------------------------------------------------------------------


def test_deployed_policies_allow_exactly_the_signed_off_matrix(shipped_proof: ProofResult) -> None:
    assert disagreements(shipped_proof, expand(load_matrix(ACCESS_YAML))) == [], (
        "(redraft with `make generate`, and have the security team review policies/access.yaml)"
    )


def test_every_governance_invariant_holds_over_the_shipped_organisations_role_chains(
    shipped_universe: Universe,
) -> None:
    with untraced():  # see tests/untraced.py
        verdicts = Governance(shipped_universe).check()
    assert [(verdict.name, verdict.violations) for verdict in verdicts] == [
        (invariant.name, []) for invariant in INVARIANTS
    ]


# -- this module -------------------------------------------------------------------------------------------------


def test_this_module_writes_out_no_value_of_the_sample_organisation() -> None:
    sample = load_org("two_env")
    values = {
        sample.organization.id,
        sample.region,
        *sample.chain,
        *(model.name for model in sample.models),
        *(env.account for env in sample.environments),
        *sample.accounts.model_dump().values(),
    }
    source = Path(__file__).read_text()
    literals = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.STRING
    ]
    written_out = sorted({value for value in values for literal in literals if value in words(literal)})
    assert written_out == []


def words(literal: str) -> set[str]:
    """The words of a string literal, split where a name, an id or a region ends in an ARN, a path or a sentence;
    hyphenated words count whole and in parts (`fraud-model`, and `uat` of `ModelOps-uat`)."""
    text = literal
    for separator in ":/\"'`{}()[]<>,.;=@# \n":
        text = text.replace(separator, " ")
    whole = set(text.split())
    return whole | {part for word in whole for part in word.split("-")}
