"""API Gateway REST API resource policies, which moto 5.2.5 drops from templates and stores unexpanded.

moto's AWS::ApiGateway::RestApi ignores the `Policy` property (AWS::ApiGateway::RestApi, Policy: "A policy
document that contains the permissions for the RestApi resource"), so an API a stack deploys has no resource
policy. And API Gateway, when it saves a policy, expands the abbreviated resource `execute-api:/<stage>/<METHOD>/
<path>` to `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>` ("API Gateway resource
policy examples": "API Gateway converts the abbreviated syntax to the full ARN when you save the policy"); moto
stores the text as given. The sandbox passes the template's policy to CreateRestApi, and expands the
abbreviation in every policy CreateRestApi saves, so GetRestApi returns what API Gateway would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.apigateway import models as _apigateway_models

from sandbox.moto_compat.wrapping import wrap

apigateway_models: Any = _apigateway_models

ABBREVIATED = "execute-api:/"


def expanded_policy(text: str, *, partition: str, region: str, account: str, api_id: str) -> str:
    """`text` with every `execute-api:/...` resource written as the API's full ARN."""
    document = json.loads(text)
    prefix = f"arn:{partition}:execute-api:{region}:{account}:{api_id}/"
    for statement in document.get("Statement") or []:
        for field in ("Resource", "NotResource"):
            value = statement.get(field)
            if isinstance(value, str):
                statement[field] = _expand(value, prefix)
            elif isinstance(value, list):
                statement[field] = [_expand(item, prefix) for item in value]
    return json.dumps(document)


def _expand(resource: Any, prefix: str) -> Any:
    if isinstance(resource, str) and resource.startswith(ABBREVIATED):
        return prefix + resource.removeprefix(ABBREVIATED)
    return resource


def _create_rest_api(inner: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    """CreateRestApi saves its policy with the abbreviated resources expanded against the new API's id."""
    rest_api = inner(self, *args, **kwargs)
    if rest_api.policy:
        rest_api.policy = expanded_policy(
            rest_api.policy,
            partition=self.partition,
            region=self.region_name,
            account=self.account_id,
            api_id=rest_api.id,
        )
    return rest_api


def install_rest_api_policies() -> None:
    """CloudFormation's RestApi carries its Policy; CreateRestApi expands `execute-api:/` resources."""
    wrap(apigateway_models.APIGatewayBackend, "create_rest_api", _create_rest_api)

    def create_from_cloudformation_json(
        cls: type[Any],
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json["Properties"]
        policy = properties.get("Policy")
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        return backend.create_rest_api(
            name=properties["Name"],
            description=properties.get("Description", ""),
            endpoint_configuration=properties.get("EndpointConfiguration"),
            policy=policy if policy is None or isinstance(policy, str) else json.dumps(policy),
        )

    apigateway_models.RestAPI.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
