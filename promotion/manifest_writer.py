"""Rewrites the ModelPackage ARN of one manifest, keeping its comments and other settings, safely.

Safety: the new text is validated as a manifest before anything is written; the write is atomic (a temp
file in the same folder, then rename); and it is a compare-and-swap against the bytes read when the
promotion started, under an exclusive lock on the environment's folder. Of two promotions of the same
model into the same environment, the second to take the lock sees changed bytes and writes nothing.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.errors import ConcurrentUpdate
from workloads.manifest import Manifest, load_manifest, parse_manifest

NEW_MANIFEST_HEADER = (
    "# {model} in {env}. `modelops promote` rewrites model_package_arn and content (the\n"
    "# registered artifact version, SHA-256 and image digest) and keeps everything else,\n"
    "# comments included. Review the ARN and digest change in the PR.\n"
)


@dataclass(frozen=True)
class Snapshot:
    """A manifest's bytes as read when a promotion started (None: the file did not exist)."""

    path: Path
    env: str
    model: str
    original: bytes | None

    @property
    def text(self) -> str | None:
        return None if self.original is None else self.original.decode("utf-8")


def take_snapshot(path: Path, config: OrgConfig, *, env: str, model: str) -> tuple[Snapshot, Manifest | None]:
    """Read `path` once; the manifest it holds is validated (InputError naming the file and field)."""
    try:
        original: bytes | None = path.read_bytes()
    except FileNotFoundError:
        original = None
    snapshot = Snapshot(path=path, env=env, model=model, original=original)
    return snapshot, (load_manifest(path, config) if original is not None else None)


def _round_trip() -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long line the author wrote on one line
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def content_block(content: Mapping[str, str]) -> str:
    """The `content:` block as YAML text, in the order `Manifest` declares it."""
    return "content:\n" + "".join(f"  {key}: {_scalar(value)}\n" for key, value in content.items())


def _scalar(value: str) -> str:
    # A SHA-256 of digits only would load as a number, a version id like `1e5` as a float: quote those.
    try:
        plain = yaml.safe_load(value) == value
    except yaml.YAMLError:
        plain = False
    return value if plain else "'" + value.replace("'", "''") + "'"


def render_pin(snapshot: Snapshot, arn: str, config: OrgConfig, content: Mapping[str, str]) -> str:
    """The manifest text with `model_package_arn` set to `arn` and `content` (the version's registered bytes:
    artifact, artifact_version, artifact_sha256, image) right after it; everything else as written."""
    if snapshot.text is None:
        text = NEW_MANIFEST_HEADER.format(model=snapshot.model, env=snapshot.env) + (
            f"model: {snapshot.model}\nmodel_package_arn: {arn}\n" + content_block(content)
        )
    else:
        rt = _round_trip()
        try:
            document = rt.load(snapshot.text)
        except YAMLError as exc:  # load_manifest passed, so this is a ruamel-only corner case
            raise InputError(f"{snapshot.path}: cannot be rewritten: {exc}") from None
        document["model_package_arn"] = arn
        block = document.get("content")
        if hasattr(block, "items"):  # updated in place: its comments stay
            for key in list(block):
                if key not in content:
                    del block[key]
            for key, value in content.items():
                block[key] = value
        else:
            if "content" in document:
                del document["content"]
            position = list(document.keys()).index("model_package_arn") + 1
            document.insert(position, "content", dict(content))
        buffer = io.StringIO()
        rt.dump(document, buffer)
        text = buffer.getvalue()
    # Never write a file that would not load: validate exactly what will land on disk.
    parse_manifest(yaml.safe_load(text), snapshot.path, config, snapshot.env)
    return text


def unified_diff(snapshot: Snapshot, new_text: str, display: str) -> str:
    """The change as `git diff` would show it."""
    old = (snapshot.text or "").splitlines(keepends=True)
    new = new_text.splitlines(keepends=True)
    fromfile = f"a/{display}" if snapshot.text is not None else "/dev/null"
    return "".join(difflib.unified_diff(old, new, fromfile=fromfile, tofile=f"b/{display}"))


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    # flock on the folder itself: no lock file to leave behind or commit, released if the process dies.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _atomic_write(path: Path, text: str, mode: int) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_pin(snapshot: Snapshot, new_text: str, *, display: str) -> None:
    """Replace the manifest with `new_text` if it still holds the snapshot's bytes; else ConcurrentUpdate."""
    folder = snapshot.path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with _folder_lock(folder):
        if _current(snapshot.path) != snapshot.original:
            raise ConcurrentUpdate(
                f"{display} changed while this promotion was running (another promotion got there first); "
                "nothing was written: run promote again to check the gates against the new pin"
            )
        mode = snapshot.path.stat().st_mode & 0o777 if snapshot.original is not None else 0o644
        _atomic_write(snapshot.path, new_text, mode)


def restore(snapshot: Snapshot, written_text: str) -> None:
    """Undo `write_pin` when a later step failed, unless someone changed the file since."""
    with _folder_lock(snapshot.path.parent):
        if _current(snapshot.path) != written_text.encode("utf-8"):
            return
        if snapshot.text is None:
            snapshot.path.unlink()
        else:
            _atomic_write(snapshot.path, snapshot.text, snapshot.path.stat().st_mode & 0o777)
