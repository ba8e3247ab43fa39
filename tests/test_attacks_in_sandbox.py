"""Issue 10's attacks, made with raw boto3 calls and the attacker's own credentials in the sandbox, where the
sandbox says no as AWS does.

moto evaluates no IAM or resource policy yet (the sandbox issue), so a refusal that only IAM makes is proven
by the policy evaluator instead (tests/test_governance_invariants.py). What AWS refuses by the storage's own
rules is refused here too:
- S3 Object Lock: "In compliance mode, a protected object version can't be overwritten or deleted by any
  user, including the root user in your AWS account" (S3 user guide, "Object Lock retention modes").
- Conditional writes: "If-None-Match ... the upload fails with 412 Precondition Failed if an object with the
  same key already exists" (S3 user guide, "How to prevent object overwrites with conditional writes").
- PartiQL INSERT: "If the DynamoDB table already has an item with the same primary key as the primary key of
  the item being inserted, DuplicateItemException is returned" (DynamoDB developer guide, ql-reference.insert).
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from accounts import naming
from promotion.aws import AwsContext
from promotion.content import split_s3_uri, upload_artifact
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from sandbox.organization import Sandbox, person_role_name, person_session

SCIENTIST = "data.scientist@example.com"
ENGINEER = "platform.engineer@example.com"


def signed_in(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, account: str, permission_set: str, email: str
) -> AwsContext:
    """The person's Identity Center session as the process's credentials, as the CLI runs for them."""
    session = person_session(
        sandbox.config, sandbox.endpoint_url, account=account, role_name=person_role_name(permission_set), email=email
    )
    frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
    monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))
    return AwsContext(sandbox.config)


def refusal(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_a_data_scientist_can_neither_overwrite_nor_delete_an_uploaded_artifact(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox.config
    aws = signed_in(sandbox, monkeypatch, config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET, SCIENTIST)
    s3 = aws.data_science().client("s3", region_name=config.region)
    uri = f"s3://{naming.artifact_bucket(config)}/artifacts/churn-model/attack-{uuid.uuid4().hex}/model.tar.gz"
    bucket, key = split_s3_uri(uri)
    version = upload_artifact(s3, uri, b"approved weights")

    with pytest.raises(ClientError) as overwrite:
        s3.put_object(Bucket=bucket, Key=key, Body=b"attacker weights", IfNoneMatch="*")
    with pytest.raises(ClientError) as delete:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)

    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert (refusal(overwrite), refusal(delete), body) == ("PreconditionFailed", "AccessDenied", b"approved weights")


def test_a_platform_engineer_cannot_overwrite_a_ledger_record_by_inserting_its_key_again(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox.config
    aws = signed_in(sandbox, monkeypatch, config.accounts.shared_services, naming.PLATFORM_PERMISSION_SET, ENGINEER)
    dynamodb = aws.promoter().client("dynamodb", region_name=config.region)
    model = "churn-model"
    stream = naming.promotions_stream(model)
    sealed = Ledger(dynamodb, model).append(
        stream,
        HistoryRecord(ENGINEER, "2026-12-04T10:00:00Z", HistoryAction.PROMOTION_PROPOSED, "real", "arn", "1", "qa"),
    )

    with pytest.raises(ClientError) as forged:
        dynamodb.execute_statement(
            Statement=f"INSERT INTO \"{naming.LEDGER_TABLE}\" VALUE {{'stream': ?, 'seq': ?, 'reason': ?}}",
            Parameters=[{"S": stream}, {"N": str(sealed.seq)}, {"S": "forged"}],
        )

    [kept] = [record for record in Ledger(dynamodb, model).read(stream) if record.seq == sealed.seq]
    assert (refusal(forged), kept.reason, kept.hash) == ("DuplicateItemException", "real", sealed.hash)
