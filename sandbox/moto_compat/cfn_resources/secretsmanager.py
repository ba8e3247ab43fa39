"""AWS::SecretsManager::Secret, which moto's CloudFormation skips, with a generated value as AWS makes it."""

from __future__ import annotations

import json
from typing import Any

from moto.secretsmanager import models as _secrets_models

from sandbox.moto_compat.cfn_resources.base import BackendResource

secrets_backends: Any = _secrets_models.secretsmanager_backends


class SecretResource(BackendResource):
    """AWS::SecretsManager::Secret, with SecretString or GenerateSecretString. Ref returns its ARN."""

    resource_type = "AWS::SecretsManager::Secret"
    name_property = "Name"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        backend = secrets_backends[account_id][region_name]
        value = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if value is None and generate is not None:
            generated = backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=generate.get("ExcludeNumbers", False),
                exclude_punctuation=generate.get("ExcludePunctuation", False),
                exclude_uppercase=generate.get("ExcludeUppercase", False),
                exclude_lowercase=generate.get("ExcludeLowercase", False),
                include_space=generate.get("IncludeSpace", False),
                require_each_included_type=generate.get("RequireEachIncludedType", True),
            )
            password = json.loads(generated)["RandomPassword"]  # moto returns the API response as JSON
            template = generate.get("SecretStringTemplate")
            value = password
            if template is not None:
                value = json.dumps({**json.loads(template), generate["GenerateStringKey"]: password})
        created = backend.create_secret(
            name=name,
            secret_string=value,
            secret_binary=None,
            description=properties.get("Description"),
            tags=properties.get("Tags"),
            kms_key_id=properties.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return str(json.loads(created)["ARN"])

    def remove(self) -> None:
        secrets_backends[self.account_id][self.region_name].delete_secret(self.physical_id, None, True)
