"""What the approval workflow deploys: one least-privilege role per Lambda, encrypted TLS-only topics with
per-approver filters, the state table, the rules, the API and its sign-in, the Lambda bundle, and the
promotion workflow."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Template

from accounts import naming
from accounts.config import OrgConfig
from deployment.workflow_patches import PINNED_ACTIONS
from shared_services.approval_statements import deploy_verified_statement
from shared_services.approval_workflow import ApprovalWorkflow, state_change_pattern
from tests.conftest import REPO_ROOT, config_with

SHARED = "111111111111"
KEY_ARN = {"Fn::GetAtt": ["ApprovalWorkflowKey62F2972E", "Arn"]}


@pytest.fixture(scope="module")
def stack(config: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, Path]:
    outdir = tmp_path_factory.mktemp("approval-workflow")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Shared", env=cdk.Environment(account=SHARED, region=config.region))
    ApprovalWorkflow(stack, "ApprovalWorkflow", config=config)
    template = Template.from_stack(stack)
    return template, outdir


def resources(template: Template, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


def role_policy(template: Template, purpose: str) -> list[dict[str, Any]]:
    name = naming.approval_function_name(purpose)
    [role] = [r for r in resources(template, "AWS::IAM::Role").values() if r["Properties"]["RoleName"] == name]
    [policy] = role["Properties"]["Policies"]
    assert policy["PolicyName"] == name
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def logs(purpose: str) -> dict[str, Any]:
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"arn:aws:logs:eu-west-1:{SHARED}:log-group:/aws/lambda/modelops-approval-{purpose}:*",
    }


DESCRIBE = {
    "Sid": "DescribeRegisteredVersions",
    "Effect": "Allow",
    "Action": "sagemaker:DescribeModelPackage",
    "Resource": f"arn:aws:sagemaker:eu-west-1:{SHARED}:model-package/*/*",
}


def table_statement(purpose: str) -> dict[str, Any]:
    function = f"modelops-approval-{purpose}"
    return {
        "Sid": "OwnStateRecords",
        "Effect": "Allow",
        "Action": ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "Resource": f"arn:aws:dynamodb:eu-west-1:{SHARED}:table/modelops-approval-state",
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{function}.*", f"{function}#*"]}},
    }


def ledger_append(sid: str, streams: list[str], action: str | list[str]) -> dict[str, Any]:
    """Only these streams of the ledger, and never a request without leading keys (shared_services/ledger.py)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": action,
        "Resource": f"arn:aws:dynamodb:eu-west-1:{SHARED}:table/modelops-ledger",
        "Condition": {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": streams},
            "Null": {"dynamodb:LeadingKeys": "false"},
        },
    }


INSERT = ["dynamodb:PartiQLInsert", "dynamodb:Query"]


def key_use(actions: list[str], services: list[str]) -> dict[str, Any]:
    return {
        "Sid": "UseWorkflowKeyThroughServices",
        "Effect": "Allow",
        "Action": actions,
        "Resource": KEY_ARN,
        "Condition": {"StringEquals": {"kms:ViaService": [f"{s}.eu-west-1.amazonaws.com" for s in services]}},
    }


def secret_ref(template: Template, logical_prefix: str) -> dict[str, str]:
    [logical_id] = [k for k in resources(template, "AWS::SecretsManager::Secret") if k.startswith(logical_prefix)]
    return {"Ref": logical_id}


def failed_events_arn(template: Template) -> dict[str, Any]:
    [logical_id] = list(resources(template, "AWS::SQS::Queue"))
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def test_the_review_role_reads_records_refusals_and_decides_only_by_assuming_the_decision_roles(
    stack: tuple[Template, Path],
) -> None:
    template, _ = stack
    assert role_policy(template, "review") == [
        logs("review"),
        DESCRIBE,
        {
            "Sid": "ReadLiveRecords",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": [
                f"arn:aws:ssm:eu-west-1:{SHARED}:parameter/modelops/models/*/live/qa",
                f"arn:aws:ssm:eu-west-1:{SHARED}:parameter/modelops/models/*/live/prod",
            ],
        },
        {
            "Sid": "ReadReviewTokenKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_ref(template, "ApprovalWorkflowReviewTokenKey"),
        },
        {
            "Sid": "ReadSessionKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_ref(template, "ApprovalWorkflowSessionKey"),
        },
        {
            "Sid": "ReadSignInClientSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_ref(template, "ApprovalWorkflowSignInClientSecret"),
        },
        table_statement("review"),
        ledger_append("RecordRefusals", ["*/decisions"], INSERT),
        key_use(
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"], ["dynamodb", "secretsmanager"]
        ),
        {
            "Sid": "ReportApprovedEnvironments",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:eu-west-1:{SHARED}:event-bus/default",
            "Condition": {
                "ForAllValues:StringEquals": {
                    "events:source": "modelops.decisions",
                    "events:detail-type": "ModelOps Environment Approved",
                },
                "Null": {"events:source": "false", "events:detail-type": "false"},
            },
        },
        {
            "Sid": "DecideWithDecisionRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Resource": [
                f"arn:aws:iam::{SHARED}:role/modelops-decision-qa",
                f"arn:aws:iam::{SHARED}:role/modelops-decision-prod",
            ],
        },
    ]


def test_the_notify_role_reads_versions_records_registrations_reads_deploys_and_publishes_to_the_approver_topics(
    stack: tuple[Template, Path],
) -> None:
    template, _ = stack
    assert role_policy(template, "notify") == [
        logs("notify"),
        DESCRIBE,
        ledger_append("AppendRegistrations", ["*/registrations"], INSERT),
        table_statement("notify"),
        ledger_append("ReadDeployRecords", ["*/deploys/*"], "dynamodb:Query"),
        {
            "Sid": "PublishToApproverTopics",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": [
                f"arn:aws:sns:eu-west-1:{SHARED}:modelops-approvers-qa",
                f"arn:aws:sns:eu-west-1:{SHARED}:modelops-approvers-prod",
            ],
        },
        {
            "Sid": "ReadReviewTokenKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_ref(template, "ApprovalWorkflowReviewTokenKey"),
        },
        key_use(
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
            ["dynamodb", "sns", "secretsmanager"],
        ),
        {
            "Sid": "SendFailedEvents",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": failed_events_arn(template),
        },
    ]


def test_the_dispatch_role_reads_versions_holds_and_the_github_token_only(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    assert role_policy(template, "dispatch") == [
        logs("dispatch"),
        DESCRIBE,
        {
            "Sid": "ReadGitHubToken",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_ref(template, "ApprovalWorkflowGitHubDispatchToken"),
        },
        table_statement("dispatch"),
        {
            # Whether a rollback holds the environment: the promotions and releases streams, read only.
            "Sid": "ReadHolds",
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": "arn:aws:dynamodb:eu-west-1:111111111111:table/modelops-ledger",
            "Condition": {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["*/promotions", "*/releases"]},
                "Null": {"dynamodb:LeadingKeys": "false"},
            },
        },
        key_use(
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"], ["dynamodb", "secretsmanager"]
        ),
        {
            "Sid": "SendFailedEvents",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": failed_events_arn(template),
        },
    ]


def test_no_role_of_the_workflow_has_a_managed_policy_or_any_other_grant(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    assert resources(template, "AWS::IAM::Policy") == {}
    for role in resources(template, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]


def functions_of(template: Template) -> dict[str, Any]:
    return {
        f["Properties"]["FunctionName"]: f["Properties"] for f in resources(template, "AWS::Lambda::Function").values()
    }


def test_each_function_runs_python_311_and_reserves_no_concurrency_by_default(stack: tuple[Template, Path]) -> None:
    """Reserving concurrency fails in new accounts whose limit is 10 ("decreases account's
    UnreservedConcurrentExecution below its minimum value"; Lambda keeps 100 units unreserved):
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"""
    template, _ = stack
    functions = functions_of(template)
    assert {name: (p["Runtime"], p["Handler"]) for name, p in functions.items()} == {
        "modelops-approval-notify": ("python3.11", "shared_services.handlers.notify.handler"),
        "modelops-approval-review": ("python3.11", "shared_services.handlers.review.handler"),
        "modelops-approval-dispatch": ("python3.11", "shared_services.handlers.dispatch.handler"),
    }
    assert ["ReservedConcurrentExecutions" in p for p in functions.values()] == [False, False, False]
    assert "DeadLetterConfig" in functions["modelops-approval-notify"]
    assert "DeadLetterConfig" in functions["modelops-approval-dispatch"]
    assert "Layers" not in functions["modelops-approval-review"]


def test_each_function_reserves_the_concurrency_accounts_yaml_gives_it(config: OrgConfig) -> None:
    approvals = config.approvals.model_dump()
    approvals["reserved_concurrency"] = {"notify": 2, "review": 5}
    app = cdk.App()
    stack = cdk.Stack(app, "Shared", env=cdk.Environment(account=SHARED, region=config.region))
    ApprovalWorkflow(stack, "ApprovalWorkflow", config=config_with(approvals=approvals))
    functions = functions_of(Template.from_stack(stack))
    assert {name: p.get("ReservedConcurrentExecutions") for name, p in functions.items()} == {
        "modelops-approval-notify": 2,
        "modelops-approval-review": 5,
        "modelops-approval-dispatch": None,
    }


def test_each_environment_has_an_encrypted_tls_only_topic_filtered_per_approver(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    topics = {t["Properties"]["TopicName"]: t["Properties"] for t in resources(template, "AWS::SNS::Topic").values()}
    assert sorted(topics) == ["modelops-approvers-prod", "modelops-approvers-qa"]
    assert all(props["KmsMasterKeyId"] == KEY_ARN for props in topics.values())
    for policy in resources(template, "AWS::SNS::TopicPolicy").values():
        [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
        assert (statement["Effect"], statement["Action"], statement["Condition"]) == (
            "Deny",
            "sns:Publish",
            {"Bool": {"aws:SecureTransport": "false"}},
        )
    subscriptions = sorted(
        (s["Properties"]["Endpoint"], s["Properties"]["Protocol"], s["Properties"]["FilterPolicy"])
        for s in resources(template, "AWS::SNS::Subscription").values()
    )
    assert subscriptions == [
        ("prod.approver@example.com", "email", {"approver": ["prod.approver@example.com"]}),
        ("qa.approver@example.com", "email", {"approver": ["qa.approver@example.com"]}),
        ("risk.officer@example.com", "email", {"approver": ["risk.officer@example.com"]}),
    ]


def test_the_state_table_is_encrypted_recoverable_and_expires_records(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    [table] = resources(template, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["TableName"] == "modelops-approval-state"
    assert props["SSESpecification"] == {"KMSMasterKeyId": KEY_ARN, "SSEEnabled": True, "SSEType": "KMS"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_secrets_are_generated_or_set_later_never_written_in_the_template(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    secrets = {
        s["Properties"]["Name"]: s["Properties"] for s in resources(template, "AWS::SecretsManager::Secret").values()
    }
    assert sorted(secrets) == [
        "modelops/approval/github-dispatch-token",
        "modelops/approval/review-token-key",
        "modelops/approval/session-key",
        "modelops/approval/signin-client-secret",
    ]
    assert all("SecretString" not in props for props in secrets.values())
    assert all(props["KmsKeyId"] == KEY_ARN for props in secrets.values())
    for generated in ("modelops/approval/review-token-key", "modelops/approval/session-key"):
        assert secrets[generated]["GenerateSecretString"] == {"ExcludePunctuation": True, "PasswordLength": 64}
    # Set by the operator after the first deploy; the description says which client of which provider.
    assert secrets["modelops/approval/signin-client-secret"]["Description"] == (
        "Client secret of OpenID Connect client modelops-review at https://signin.sandbox.modelops.invalid, "
        "with which the review function signs approvers in. Set it with `aws secretsmanager put-secret-value`."
    )


def test_the_rules_match_pending_versions_the_decision_services_approvals_and_verified_deploys_of_any_model(
    stack: tuple[Template, Path], config: OrgConfig
) -> None:
    """No model is named: the patterns stay the same size whatever the number of models, and a new model leaves the
    shared-services template alone. The handlers pass over a model accounts.yaml does not configure
    (tests/test_approval_handlers.py)."""
    template, _ = stack
    patterns = [r["Properties"]["EventPattern"] for r in resources(template, "AWS::Events::Rule").values()]
    assert patterns == [
        state_change_pattern(config, "PendingManualApproval"),
        {"source": ["modelops.decisions"], "detail-type": ["ModelOps Environment Approved"]},
        {
            "source": ["modelops.pipeline"],
            "detail-type": ["ModelOps Deploy Verified", "ModelOps Batch Inference Completed"],
        },
    ]
    assert state_change_pattern(config, "PendingManualApproval") == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelApprovalStatus": ["PendingManualApproval"]},
    }


def test_only_the_cli_route_is_iam_authenticated_and_the_stage_logs_and_throttles(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    paths = {
        logical_id: r["Properties"]["PathPart"]
        for logical_id, r in resources(template, "AWS::ApiGateway::Resource").items()
    }
    methods = sorted(
        (
            paths[m["Properties"]["ResourceId"]["Ref"]],
            m["Properties"]["HttpMethod"],
            m["Properties"]["AuthorizationType"],
        )
        for m in resources(template, "AWS::ApiGateway::Method").values()
    )
    assert methods == [
        ("callback", "GET", "NONE"),
        ("decision", "POST", "NONE"),
        ("decisions", "POST", "AWS_IAM"),
        ("review", "GET", "NONE"),
        ("signin", "GET", "NONE"),
    ]
    [stage] = resources(template, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "v1"
    assert "DestinationArn" in props["AccessLogSetting"]
    assert props["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": 10,
            "ThrottlingRateLimit": 5,
        }
    ]


def test_the_api_policy_admits_data_scientists_to_post_decisions_and_everyone_to_the_unauthenticated_pages(
    stack: tuple[Template, Path], config: OrgConfig
) -> None:
    """Cross-account IAM callers need the resource policy's allow; NONE methods need it once a policy exists."""
    template, _ = stack
    [api] = resources(template, "AWS::ApiGateway::RestApi").values()
    data_science = config.accounts.data_science
    role = "AWSReservedSSO_DataScientist_????????????????"
    assert api["Properties"]["Policy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DataScientistsSubmitModelCards",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{data_science}:root"},
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/v1/POST/decisions",
                "Condition": {
                    "ArnLike": {
                        "aws:PrincipalArn": [
                            f"arn:aws:iam::{data_science}:role/aws-reserved/sso.amazonaws.com/{role}",
                            f"arn:aws:iam::{data_science}:role/aws-reserved/sso.amazonaws.com/*/{role}",
                        ]
                    }
                },
            },
            {
                "Sid": "ReviewPagesArePublic",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "execute-api:Invoke",
                "Resource": [
                    "execute-api:/v1/GET/review",
                    "execute-api:/v1/GET/signin",
                    "execute-api:/v1/GET/callback",
                    "execute-api:/v1/POST/decision",
                ],
            },
        ],
    }


def function_environment(template: Template, purpose: str) -> dict[str, Any]:
    name = naming.approval_function_name(purpose)
    [function] = [
        f for f in resources(template, "AWS::Lambda::Function").values() if f["Properties"]["FunctionName"] == name
    ]
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


def test_the_review_function_signs_in_with_the_configured_identity_provider(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    environment = function_environment(template, "review")
    api = next(k for k in resources(template, "AWS::ApiGateway::RestApi"))
    assert {k: v for k, v in environment.items() if k.startswith("SIGNIN_")} == {
        "SIGNIN_ISSUER": "https://signin.sandbox.modelops.invalid",
        "SIGNIN_AUTHORIZATION_ENDPOINT": "https://signin.sandbox.modelops.invalid/oauth2/authorize",
        "SIGNIN_TOKEN_ENDPOINT": "https://signin.sandbox.modelops.invalid/oauth2/token",
        "SIGNIN_CLIENT_ID": "modelops-review",
        "SIGNIN_CLIENT_SECRET_ARN": secret_ref(template, "ApprovalWorkflowSignInClientSecret"),
        "SIGNIN_CALLBACK_URL": {
            "Fn::Join": [
                "",
                ["https://", {"Ref": api}, ".execute-api.eu-west-1.", {"Ref": "AWS::URLSuffix"}, "/v1/callback"],
            ]
        },
    }
    assert environment["SESSION_KEY_SECRET_ARN"] == secret_ref(template, "ApprovalWorkflowSessionKey")
    # The callback URL is published for whoever registers the client at the identity provider.
    [output] = [
        o for name, o in template.find_outputs("*").items() if name.startswith("ApprovalWorkflowSignInCallbackUrl")
    ]
    assert output["Value"] == environment["SIGNIN_CALLBACK_URL"]


def test_review_links_live_as_long_as_accounts_yaml_says(stack: tuple[Template, Path]) -> None:
    template, _ = stack
    assert function_environment(template, "notify")["REVIEW_TOKEN_TTL_HOURS"] == "24"


def test_the_promoter_may_put_only_the_deploy_verified_and_batch_completed_events(config: OrgConfig) -> None:
    assert cdk.Stack().resolve(deploy_verified_statement(config).to_statement_json()) == {
        "Sid": "ReportVerifiedDeploys",
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": f"arn:aws:events:eu-west-1:{SHARED}:event-bus/default",
        "Condition": {
            "ForAllValues:StringEquals": {
                "events:source": "modelops.pipeline",
                "events:detail-type": ["ModelOps Deploy Verified", "ModelOps Batch Inference Completed"],
            },
            "Null": {"events:source": "false", "events:detail-type": "false"},
        },
    }


# -- the Lambda bundle ---------------------------------------------------------------------------------------


def bundle_dir(outdir: Path) -> Path:
    [asset] = [p for p in outdir.iterdir() if p.is_dir() and p.name.startswith("asset.")]
    return asset


def test_the_bundle_holds_the_handlers_their_modules_vendored_packages_and_the_config(
    stack: tuple[Template, Path], config: OrgConfig
) -> None:
    _, outdir = stack
    bundle = bundle_dir(outdir)
    top = sorted(p.name for p in bundle.iterdir() if not p.name.endswith(".dist-info"))
    assert top == [
        "_yaml",
        "accounts",
        "annotated_types",
        "aws_lambda_powertools",
        "jmespath",
        "modelops_config.json",
        "promotion",
        "pydantic",
        "pydantic_core",
        "shared_services",
        "typing_extensions.py",
        "typing_inspection",
        "workloads",
        "yaml",
    ]
    assert sorted(p.name for p in (bundle / "shared_services").iterdir()) == ["__init__.py", "handlers"]
    assert not list(bundle.rglob("__pycache__"))
    assert not (bundle / "tests").exists()
    assert json.loads((bundle / "modelops_config.json").read_text()) == config.model_dump(
        mode="json", exclude_none=True
    )
    assert (bundle / f"aws_lambda_powertools-{importlib.metadata.version('aws-lambda-powertools')}.dist-info").is_dir()


def lambda_runtime(outdir: Path) -> Path:
    """A directory holding what Lambda's python3.11 runtime provides besides the standard library."""
    site = Path(str(importlib.metadata.distribution("boto3").locate_file("")))
    runtime = outdir / "lambda-runtime"
    runtime.mkdir(exist_ok=True)
    for name in ("boto3", "botocore", "s3transfer", "dateutil", "six.py", "urllib3"):
        target = runtime / name
        if not target.exists():
            target.symlink_to(site / name)
    return runtime


def test_every_handler_imports_from_the_bundle_and_the_runtimes_boto3_alone(stack: tuple[Template, Path]) -> None:
    _, outdir = stack
    runtime = lambda_runtime(outdir)
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import shared_services.handlers.notify, shared_services.handlers.review, shared_services.handlers.dispatch\n"
        "import pydantic_core, aws_lambda_powertools\n"
        "assert all(m.__file__.startswith(sys.argv[1]) for m in (pydantic_core, aws_lambda_powertools))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-S", "-c", code, str(bundle_dir(outdir)), str(runtime)],
        capture_output=True,
        text=True,
        check=False,
        env={"MODELOPS_CONFIG_FILE": "modelops_config.json", "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


# Modules the bundle ships (packages are copied whole) that no handler reaches, with the one dependency
# Lambda lacks: the workload stacks' CDK constructs, and the CLI's manifest editing (ruamel.yaml round trips).
NOT_IMPORTABLE_IN_LAMBDA = {
    "workloads.batch": "aws_cdk",
    "workloads.capture": "aws_cdk",
    "workloads.endpoint": "aws_cdk",
    "workloads.endpoint_stack": "aws_cdk",
    "workloads.environment_stack": "aws_cdk",
    "workloads.roles": "aws_cdk",
    "promotion.manifest_writer": "ruamel",
    "promotion.promote": "ruamel",
    # The deploy path measures templates with the quota check's limits (policies/quota_limits.py), which the
    # bundle leaves out with the rest of policies/: no handler deploys.
    "promotion.cfn_deploy": "policies",
    "promotion.deploy": "policies",
    "promotion.verify": "ruamel",
}
# Runs isolated (-I: no PYTHON* variables, no script or working directory on the path; -S: no site-packages),
# so only the bundle, the runtime's boto3 and the standard library can be imported. Prints, as JSON, each
# module whose import misses a module (and which), and every loaded module that came from anywhere else.
IMPORT_EVERY_MODULE = """
import importlib, json, sys, sysconfig
bundle, runtime, modules = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path[:0] = [bundle, runtime]
missing = {}
for name in modules:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing[name] = exc.name
allowed = (bundle, runtime, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
files = {name: getattr(module, "__file__", None) for name, module in sys.modules.items()}
elsewhere = sorted(name for name, file in files.items() if file and not file.startswith(allowed))
print(json.dumps({"missing": missing, "elsewhere": elsewhere}))
"""


def repository_modules(bundle: Path) -> list[str]:
    """Every module of the repository's packages in the bundle (those that also exist in the repository)."""
    packages = [p for p in bundle.iterdir() if (p / "__init__.py").is_file() and (REPO_ROOT / p.name).is_dir()]
    files = sorted(f.relative_to(bundle).with_suffix("") for package in packages for f in package.rglob("*.py"))
    return [".".join(f.parts[:-1] if f.name == "__init__" else f.parts) for f in files]


def test_every_module_of_the_bundle_imports_from_it_and_the_runtimes_boto3_alone(
    stack: tuple[Template, Path],
) -> None:
    _, outdir = stack
    bundle = bundle_dir(outdir)
    modules = repository_modules(bundle)
    assert {f"shared_services.handlers.{purpose}" for purpose in naming.APPROVAL_FUNCTIONS} <= set(modules)
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_EVERY_MODULE, str(bundle), str(lambda_runtime(outdir)), *modules],
        capture_output=True,
        text=True,
        check=False,
        cwd=bundle,
        env={"MODELOPS_CONFIG_FILE": "modelops_config.json", "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout)
    assert result["missing"] == NOT_IMPORTABLE_IN_LAMBDA
    assert result["elsewhere"] == []


# -- .github/workflows/promote.yml ----------------------------------------------------------------------------

PROMOTE = REPO_ROOT / ".github" / "workflows" / "promote.yml"


@pytest.fixture(scope="module")
def promote() -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(PROMOTE.read_text())
    return workflow


def test_promote_runs_on_model_approved_dispatches_and_by_hand(promote: dict[str, Any]) -> None:
    # PyYAML reads the key `on` as True.
    triggers = promote[True]  # type: ignore[index]
    assert triggers["repository_dispatch"] == {"types": ["model-approved"]}
    assert sorted(triggers["workflow_dispatch"]["inputs"]) == ["env", "model", "version"]


def test_promote_grants_only_what_opening_a_pr_and_oidc_need(promote: dict[str, Any]) -> None:
    assert promote["permissions"] == {}
    [job] = promote["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "id-token": "write"}
    assert job["environment"] == "promotion"


def test_promote_pins_every_action_including_create_pull_request_by_commit() -> None:
    uses = [line.strip() for line in PROMOTE.read_text().splitlines() if "uses:" in line]
    assert any("peter-evans/create-pull-request@5f6978faf089d4d20b00c7766989d076bb2fc7f1 # v8.1.1" in u for u in uses)
    for line in uses:
        match = re.fullmatch(r"uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>v[\d.]+)", line)
        assert match is not None, line
        assert (match["sha"], match["version"]) == (
            PINNED_ACTIONS[match["action"]].sha,
            PINNED_ACTIONS[match["action"]].version,
        )


def test_event_fields_reach_shell_steps_only_through_the_environment(promote: dict[str, Any]) -> None:
    [job] = promote["jobs"].values()
    scripts = [step["run"] for step in job["steps"] if "run" in step]
    assert len(scripts) == 3
    assert [script for script in scripts if "${{" in script] == []


def test_promote_runs_modelops_promote_and_assumes_the_promote_role(promote: dict[str, Any], config: OrgConfig) -> None:
    [job] = promote["jobs"].values()
    steps = {step["name"]: step for step in job["steps"]}
    assert 'modelops promote "$MODEL" --to "$TARGET_ENV"' in steps["Check the gates and pin the version"]["run"]
    assert steps["Authenticate Via OIDC Role"]["with"]["role-to-assume"] == "${{ steps.request.outputs.role }}"
    assert naming.github_promote_role_arn(config) == "arn:aws:iam::333333333333:role/modelops-github-promote"
    assert steps["Open the promotion PR"]["with"]["body-path"] == ".modelops/pr.md"
