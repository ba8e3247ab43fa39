"""The audit ledger at 10,000 records for one model, against the sandbox: append, `history`, `--verify`.

Appends go through the engine (`Ledger.append`: the stream's tail by a Query, then a PartiQL INSERT) as a
deploy step writes them, spread over the model's deploys streams; `history` and `--verify` are timed as the
CLI runs them (`modelops history MODEL --json`, `--verify`), through the verifier role.

    python -m benchmarks.ledger
"""

from __future__ import annotations

import time
from io import StringIO
from typing import Any

from typer.testing import CliRunner

import cli.main
from accounts import naming
from benchmarks.sandbox import start_sandbox_server
from promotion.aws import new_session
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from promotion.sessions import assume_role
from tests.orgs import config_path, load_org
from tests.promotion_support import create_ledger_table

RECORDS = 10_000
MODEL = "churn-model"


def admin(account: str) -> Any:
    base = new_session(region="eu-west-1", access_key="AKIAIOSFODNN7EXAMPLE", secret_key="bench")  # noqa: S106 (sandbox)
    return assume_role(naming.role_arn(account, "modelops-bench-admin"), session_name="bench", base=base)


def timed(what: str, run: Any) -> tuple[str, float, Any]:
    start = time.perf_counter()
    result = run()
    return what, time.perf_counter() - start, result


def main() -> None:
    config = load_org("two_env")
    server = start_sandbox_server()
    runner = CliRunner()
    try:
        dynamodb = admin(config.accounts.shared_services).client("dynamodb", region_name=config.region)
        create_ledger_table(dynamodb)
        ledger = Ledger(dynamodb, MODEL)
        arn = naming.model_package_arn(config, MODEL, 1)

        def append_all() -> None:
            for n in range(RECORDS):
                env = config.chain[n % len(config.chain)]
                record = HistoryRecord(
                    "bench",
                    f"2026-01-01T00:00:{n % 60:02d}Z",
                    HistoryAction.DEPLOYED,
                    f"deploy {n}",
                    arn,
                    config.environment(env).account,
                    env,
                )
                ledger.append(naming.deploys_stream(MODEL, env), record)

        rows = [timed(f"append {RECORDS:,} records (Query + INSERT each)", append_all)]
        history = timed(
            "`history --json` (every stream, merged)",
            lambda: runner.invoke(cli.main.app, ["--config", str(config_path("two_env")), "history", MODEL, "--json"]),
        )
        verify = timed(
            "`history --verify` (every stream)",
            lambda: runner.invoke(
                cli.main.app, ["--config", str(config_path("two_env")), "history", MODEL, "--verify"]
            ),
        )
        rows += [history, verify]
        assert history[2].exit_code == 0, history[2].output
        assert verify[2].exit_code == 0, verify[2].output
        summary = verify[2].stdout.strip()
    finally:
        server.stop()
    out = StringIO()
    print(f"the ledger, {RECORDS:,} records of {MODEL} in the sandbox (moto server, one process)", file=out)
    for what, seconds, _ in rows:
        print(f"  {what:<48} {seconds:8.2f} s", file=out)
    print(f"  verify said: {summary}", file=out)
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()
