"""CloudFormation resource types the synthesized stacks use and moto 5.2.5 skips or gets wrong.

moto silently skips types it does not know (the stack still reports complete) and fails a stack on any
GetAtt of a skipped type. Each class here creates the real resource in moto's backend for its service,
with the Ref and GetAtt values the CloudFormation resource reference documents. Types no backend can
hold are recorded by `AcceptedResource`, so references to them resolve and the stack lists them.

One module per service (`sagemaker`, `s3`, `cloudwatch`, `autoscaling`, `iam`, `messaging` for SNS and
SQS, `secretsmanager`), on the shapes in `base`; `lookup` is how moto's CloudFormation finds them.
"""
