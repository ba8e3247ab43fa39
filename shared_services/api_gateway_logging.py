"""The account-level role through which API Gateway writes logs (`AWS::ApiGateway::Account`).

The approval API's stage writes access logs, and API Gateway refuses such a stage ("CloudWatch Logs role ARN
must be set in account settings to enable logging") unless the account names a CloudWatch Logs role:
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html

The setting is account-wide, one per Region: every REST API of the shared-services account in this Region
logs through this role, and deploying the stack replaces a role someone else had set
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html:
"To avoid overwriting other roles, you should only have one AWS::ApiGateway::Account resource per region per
account"). Deleting the stack leaves the setting in place, pointing at a deleted role.
"""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from shared_services.trust import define_role

# The actions of the AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs, which API Gateway documents as
# what its CloudWatch Logs role needs (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/
# AmazonAPIGatewayPushToCloudWatchLogs.html).
PUSH_TO_CLOUDWATCH_LOGS_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:PutLogEvents",
]


def push_logs_statement(config: OrgConfig) -> iam.PolicyStatement:
    """The managed policy's actions, inline and narrowed from `*` to this account's log groups in this Region.

    Not narrower: the role serves every API of the account (the setting is account-wide), and API Gateway
    names execution log groups itself (`API-Gateway-Execution-Logs_<api id>/<stage>`).
    """
    account = config.accounts.shared_services
    return iam.PolicyStatement(
        sid="PushApiLogs",
        actions=PUSH_TO_CLOUDWATCH_LOGS_ACTIONS,
        resources=[
            f"arn:aws:logs:{config.region}:{account}:log-group:*",
            f"arn:aws:logs:{config.region}:{account}:log-group:*:log-stream:*",
        ],
    )


class ApiGatewayLogging(Construct):
    """The role API Gateway assumes to write logs, and the account setting that names it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig) -> None:
        super().__init__(scope, construct_id)
        self.role = define_role(
            self,
            "Role",
            role_name=naming.APIGATEWAY_LOGS_ROLE,
            description="Assumed by API Gateway to write the account's API logs (account-wide setting).",
            trust=[
                iam.PolicyStatement(
                    sid="ApiGateway",
                    principals=[iam.ServicePrincipal("apigateway.amazonaws.com")],
                    actions=["sts:AssumeRole"],
                )
            ],
            permissions=[push_logs_statement(config)],
        )
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.attr_arn)
