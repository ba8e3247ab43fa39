"""A real scikit-learn model artifact, as SageMaker's scikit-learn container loads it, and CSV input for it:
a LogisticRegression on scikit-learn's bundled breast-cancer data (30 float features per row)."""

from __future__ import annotations

import io
import tarfile
from functools import lru_cache

import joblib  # type: ignore[import-untyped, unused-ignore]
from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped, unused-ignore]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped, unused-ignore]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped, unused-ignore]


@lru_cache(maxsize=1)
def _trained() -> tuple[object, list[list[float]]]:
    data = load_breast_cancer()
    features = [list(map(float, row)) for row in data.data]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(features, data.target)
    return model, features


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A model.tar.gz holding `files`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def sklearn_artifact() -> bytes:
    """model.tar.gz with model.joblib, the fitted pipeline."""
    model, _ = _trained()
    dumped = io.BytesIO()
    joblib.dump(model, dumped)
    return tar_gz({"model.joblib": dumped.getvalue()})


def csv_rows(first: int, count: int) -> bytes:
    """`count` rows of the dataset from `first`, as CSV lines without a header."""
    _, features = _trained()
    return "".join(",".join(repr(value) for value in row) + "\n" for row in features[first : first + count]).encode()


def predictions(first: int, count: int) -> bytes:
    """What the model answers for those rows, one line each, as the container's CSV output."""
    model, features = _trained()
    answers = model.predict(features[first : first + count])  # type: ignore[attr-defined]
    return "".join(f"{answer}\n" for answer in answers.tolist()).encode()
