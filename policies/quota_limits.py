"""AWS's quotas on policy documents and templates, and how AWS counts each size.

The one place both the sandbox (sandbox/moto_compat, which refuses an API call over a quota) and the static
check of a synthesized assembly (policies/quotas.py) take their limits and counting from, so the two agree.

- IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a role's
  inline policies together 10,240 characters, a managed policy 6,144, a role trust policy 2,048, 10 managed
  policies per role (the default). "IAM doesn't count white space when calculating the size of a policy against
  these limits": `policy_characters`.
- S3: "Bucket policies are limited to 20 KB in size" (Amazon S3 User Guide, "Bucket policies and user
  policies"); an access point policy too (S3 User Guide, "Access points restrictions and limitations"):
  `sent_policy_bytes`.
- KMS: a key policy is at most 32,768 bytes (KMS API Reference, PutKeyPolicy: "Maximum length of 32768";
  KMS quotas, "Key policy document size: 32 KB"): `key_policy_bytes`.
- SageMaker: PutModelPackageGroupPolicy's ResourcePolicy, "Maximum length of 20480" characters:
  `len(sent_policy_text(...))`.
- CloudFormation quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
  500 resources per stack; a template body of 51,200 bytes sent inline, 1 MB from S3; 60 dynamic references.
- SSM Parameter Store quotas: a Standard parameter value is at most 4 KB, an Advanced one 8 KB.
"""

from __future__ import annotations

import json
from typing import Any

ROLE_INLINE_POLICIES_LIMIT = 10_240  # characters, all inline policies of a role together
MANAGED_POLICY_LIMIT = 6_144  # characters
TRUST_POLICY_LIMIT = 2_048  # characters
MANAGED_POLICIES_PER_ROLE = 10  # the default quota (20 at most, on request)
BUCKET_POLICY_LIMIT = 20 * 1024  # bytes: "20 KB"
ACCESS_POINT_POLICY_LIMIT = 20 * 1024  # bytes: "20 KB"
KEY_POLICY_LIMIT = 32_768  # bytes
GROUP_POLICY_LIMIT = 20_480  # characters
MAX_RESOURCES = 500  # resources declared in one template
TEMPLATE_BODY_LIMIT = 51_200  # bytes, a template passed inline (TemplateBody)
TEMPLATE_URL_LIMIT = 1_048_576  # bytes: "1 MB", a template read from S3 (TemplateURL)
DYNAMIC_REFERENCES_LIMIT = 60  # `{{resolve:...}}` references in one template
SSM_STANDARD_VALUE_LIMIT = 4_096  # bytes: "4 KB"
SSM_ADVANCED_VALUE_LIMIT = 8_192  # bytes: "8 KB"


def sent_policy_text(document: Any) -> str:
    """A policy document as the JSON text an API receives: a string as it is, an object (a template may carry
    one) as Python's `json.dumps` writes it.

    CloudFormation does not document how it serializes a template's policy object; the sandbox's CloudFormation
    emulation sends this text, so a size counted on it is what the sandbox refuses. Its `", "` and `": "`
    separators make it the stricter reading of an undocumented serialization.
    """
    return document if isinstance(document, str) else json.dumps(document)


def sent_policy_bytes(policy: Any) -> int:
    """The UTF-8 bytes of a policy as sent (S3 counts "KB"): bytes as they are, else `sent_policy_text`."""
    if isinstance(policy, bytes):
        return len(policy)
    return len(sent_policy_text(policy).encode())


def policy_characters(document: Any) -> int:
    """The size IAM counts for a policy document: its characters, whitespace outside strings not counted."""
    text = sent_policy_text(document)
    count, in_string, escaped = 0, False, False
    for character in text:
        if in_string:
            count += 1
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif not character.isspace():
            count += 1
            in_string = character == '"'
    return count


def key_policy_bytes(policy: Any) -> int:
    """A key policy's size as KMS measures it here: UTF-8 bytes, of the text as sent or of an object's compact
    JSON (the stricter reading of "32 KB": bytes, not characters)."""
    text = policy if isinstance(policy, str) else json.dumps(policy, separators=(",", ":"))
    return len(text.encode())


def dynamic_references(template_text: str) -> int:
    """The dynamic references (`{{resolve:service:...}}`) a template holds."""
    return template_text.count("{{resolve:")
