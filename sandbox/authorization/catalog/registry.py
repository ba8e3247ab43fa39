"""Every service's operation table, and the lookup the gate makes."""

from __future__ import annotations

from sandbox.authorization.calls import Call
from sandbox.authorization.catalog import data, delivery, identity, messaging, sagemaker, storage
from sandbox.authorization.catalog.common import Check, Mapper, NotModelled, Scope

SERVICES: dict[str, dict[str, Mapper]] = {
    "sts": identity.STS,
    "iam": identity.IAM,
    "s3": storage.S3,
    "sagemaker": sagemaker.SAGEMAKER,
    "sagemaker-runtime": sagemaker.SAGEMAKER_RUNTIME,
    "dynamodb": data.DYNAMODB,
    "ssm": data.SSM,
    "secretsmanager": data.SECRETS,
    "kms": data.KMS,
    "sns": messaging.SNS,
    "sqs": messaging.SQS,
    "events": messaging.EVENTS,
    "logs": messaging.LOGS,
    "cloudwatch": messaging.CLOUDWATCH,
    "cloudformation": delivery.CLOUDFORMATION,
    "lambda": delivery.LAMBDA,
    "ecr": delivery.ECR,
    "application-autoscaling": delivery.APPLICATION_AUTOSCALING,
}


def checks_for(call: Call, scope: Scope) -> list[Check]:
    """The authorizations AWS makes for `call` in `scope`; NotModelled when the sandbox cannot say."""
    if call.service == "apigateway":
        return delivery.apigateway_call(call, scope)
    mapper = SERVICES.get(call.service, {}).get(call.operation)
    if mapper is None:
        raise NotModelled(f"{call.service}:{call.operation}")
    return mapper(call, scope)
