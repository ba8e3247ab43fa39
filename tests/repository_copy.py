"""A copy of this repository as a clone would have it, for tests that run the suite or a tool inside one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# Copies in a process of its own: it reads every file, the shipped organisation's included, which only
# tests/test_shipped_organisation.py may read in this process (tests/shipped_guard.py).
COPY = """
import shutil, sys
from pathlib import Path
source, target = Path(sys.argv[1]), Path(sys.argv[2])
for relative in filter(None, sys.stdin.read().split("\\0")):
    if (source / relative).is_file():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target / relative)
"""


def copy_repository(target: Path) -> None:
    """The files a clone would have (tracked, plus new ones not ignored), and this machine's tools, in a git
    repository of its own (nothing committed), as a fork is: tests inside the copy copy it again the same way."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    subprocess.run([sys.executable, "-c", COPY, str(REPO_ROOT), str(target)], input=listed, text=True, check=True)
    for tools in (".venv", ".tools"):
        if (REPO_ROOT / tools).exists():
            (target / tools).symlink_to(REPO_ROOT / tools)
    subprocess.run(["git", "init", "-q", str(target)], check=True)
