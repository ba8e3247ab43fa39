"""Benchmark: what the sandbox's IAM costs per request (make bench).

Against one sandbox server, a member account's administrator makes the same mix of requests twice:
with the gate enforcing, and with the gate passing requests straight to moto. The mix is what the flow
makes most: GetCallerIdentity, SSM GetParameter, S3 HeadObject on a bucket with a policy, DynamoDB
Query, SageMaker DescribeModelPackageGroup. Prints requests per second both ways and the gate's cost
per request (decode, caller, catalogue, resource policy, evaluation).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from benchmarks.sandbox import start_sandbox_server
from promotion.sessions import assume_role
from sandbox.accounts import ORGANIZATION_ACCESS_ROLE, create_member_account
from sandbox.authorization import gate as gate_module
from sandbox.authorization.gate import TALLY

ACCOUNT = "111111111111"
REGION = "eu-west-1"
ROUNDS = 200


def _setup(session: Any) -> list[Callable[[], object]]:
    s3, ssm, ddb, sm, sts = (session.client(name) for name in ("s3", "ssm", "dynamodb", "sagemaker", "sts"))
    s3.create_bucket(Bucket="bench-iam", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    deny: dict[str, Any] = {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::bench-iam/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket="bench-iam", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    s3.put_object(Bucket="bench-iam", Key="k", Body=b"x")
    ssm.put_parameter(Name="/bench/p", Value="v", Type="String")
    ddb.create_table(
        TableName="bench",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sm.create_model_package_group(ModelPackageGroupName="bench")
    return [
        sts.get_caller_identity,
        lambda: ssm.get_parameter(Name="/bench/p"),
        lambda: s3.head_object(Bucket="bench-iam", Key="k"),
        lambda: ddb.query(
            TableName="bench", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}
        ),
        lambda: sm.describe_model_package_group(ModelPackageGroupName="bench"),
    ]


def _timed(calls: list[Callable[[], object]]) -> float:
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for call in calls:
            call()
    return time.perf_counter() - started


def main() -> None:
    server = start_sandbox_server(enforcing=True)
    try:
        create_member_account(ACCOUNT)
        admin = assume_role(
            f"arn:aws:iam::{ACCOUNT}:role/{ORGANIZATION_ACCESS_ROLE}", session_name="bench", region=REGION
        )
        calls = _setup(admin)
        _timed(calls[:1])  # warm up clients and connections
        requests = ROUNDS * len(calls)
        TALLY.reset()
        enforced = _timed(calls)
        judged, refused = TALLY.authorized, TALLY.refused
        plain = _timed_without_gate(calls)
    finally:
        server.stop()
    print(
        f"sandbox IAM: {requests:,} requests ({len(calls)} kinds x {ROUNDS}); {judged:,} authorized, {refused} refused"
    )
    print(f"  with the gate:    {enforced:6.2f} s, {requests / enforced:7.0f} requests/s")
    print(f"  without the gate: {plain:6.2f} s, {requests / plain:7.0f} requests/s")
    print(f"  the gate's cost:  {(enforced - plain) / requests * 1000:6.2f} ms per request")


def _timed_without_gate(calls: list[Callable[[], object]]) -> float:
    """The same mix with each gate's WSGI layer taken out (moto's app answers directly)."""
    original = gate_module.Gate.__call__

    def passthrough(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    gate_module.Gate.__call__ = passthrough  # type: ignore[method-assign]
    try:
        return _timed(calls)
    finally:
        gate_module.Gate.__call__ = original  # type: ignore[method-assign]


if __name__ == "__main__":
    main()
