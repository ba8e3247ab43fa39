"""Nothing grows per model past AWS's quotas: generated organisations of 10 and 20 models (qa and prod, every model
pinned in both), synthesized once per session, measured as policies/quotas.py measures any assembly.

Every document is within its quota at 20 models, and no document grows from 10 models to 20: a per-model document
(a model's own stack, its group policy, its execution role) has the same size for every model, and every other
document (the shared-services stack, each environment's stack, their roles, bucket and key policies) the same size
at both sizes. A document that grew by even one model's worth would therefore pass its quota at some size below
500 models; `python -m benchmarks.quotas` measures 500 x 4 itself (README, Benchmarks).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.config import load_config
from policies.quotas import Measurement, failures, measure_assembly
from tests.conftest import Synth, synthesize

# A model of the generated organisations, in each spelling a name takes (`model-007`, `Model007`, `model007`), and
# CDK's 8-character hash suffix of logical ids and template file names (which follows the construct path).
MODEL_SPELLINGS = re.compile(r"(?i)(model-?)\d{3}")
CDK_HASH = re.compile(r"(?<=[A-Za-z])[0-9A-F]{8}(?=\.template\.json|\b)")

Sizes = dict[tuple[str, str, str], int]


@pytest.fixture(scope="session")
def ten_model_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The generated organisation of `large_synth` with 10 models instead of 20."""
    from benchmarks.synth import large_organisation

    folder = tmp_path_factory.mktemp("ten-models")
    config, workloads = large_organisation(folder / "org", 10, envs=2)
    return synthesize(load_config(config), folder / "synth", workloads)


def _shape(text: str) -> str:
    """`text` with every model written `model-N` (in its spelling) and CDK's hashes left out."""
    return CDK_HASH.sub("", MODEL_SPELLINGS.sub(lambda match: f"{match.group(1)}N", text))


def sizes_by_shape(measurements: list[Measurement]) -> Sizes:
    """The largest size of each (kind, stack, document) once models are written alike."""
    sizes: Sizes = {}
    for m in measurements:
        key = (m.kind.name, _shape(m.stack), _shape(m.document))
        sizes[key] = max(sizes.get(key, 0), m.size)
    return sizes


def measured(synth: Synth) -> list[Measurement]:
    return measure_assembly(Path(synth.outdir))


def test_every_document_of_a_twenty_model_organisation_is_within_its_quota(large_synth: Synth) -> None:
    over = failures(measured(large_synth))

    assert over == [], "\n".join(over)


def test_no_document_grows_from_ten_models_to_twenty(ten_model_synth: Synth, large_synth: Synth) -> None:
    ten, twenty = sizes_by_shape(measured(ten_model_synth)), sizes_by_shape(measured(large_synth))

    grown = [
        f"{kind}: {stack}: {document}: {ten.get((kind, stack, document), 0):,} at 10 models, {size:,} at 20"
        for (kind, stack, document), size in sorted(twenty.items())
        if size != ten.get((kind, stack, document))
    ]
    assert grown == [], "\n".join(grown)


def test_the_measured_documents_cover_every_kind_that_grew_before(large_synth: Synth) -> None:
    """The kinds issue 13 found over quota are all measured here, so the two tests above cannot pass vacuously."""
    kinds = {m.kind.name for m in measured(large_synth)}

    assert {
        "role inline policies",
        "role trust policy",
        "bucket policy",
        "key policy",
        "model package group policy",
        "resources per stack",
        "template size",
    } <= kinds
