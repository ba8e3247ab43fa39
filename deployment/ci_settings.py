"""What a hand-written workflow needs from the organisation, as `name=value` lines for `$GITHUB_OUTPUT`.

    python -m deployment.ci_settings verify ACCOUNTS_YAML   # the PR `gates` job: region and verify role

The workflows stay the same in every fork: they read the organisation at run time instead of naming
its accounts. A bad file is one line on stderr and exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from accounts import naming
from accounts.config import load_config
from accounts.validation import InputError

USAGE = "usage: python -m deployment.ci_settings verify ACCOUNTS_YAML"


def verify_settings(config_path: Path) -> str:
    """The region and the role the PR `gates` job assumes through GitHub OIDC."""
    config = load_config(config_path)
    return f"region={config.region}\nrole={naming.github_verify_role_arn(config)}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; 0 and the settings on stdout, or 2 and one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "verify":
        print(USAGE, file=sys.stderr)
        return 2
    try:
        sys.stdout.write(verify_settings(Path(args[1])))
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
