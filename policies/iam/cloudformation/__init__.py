"""The deployed policies, read from the synthesized templates (cdk.out), with intrinsics resolved.

Every `Ref`, `Fn::GetAtt`, `Fn::Join` and `Fn::Sub` must resolve to a known resource of the same
stack or a pseudo parameter; anything else fails with an error naming the stack, the resource and the
expression. Resources without an explicit physical name get a stable symbolic one derived from the
logical id (its 8-hex-digit CDK hash removed), e.g. `arn:aws:kms:eu-west-1:111111111111:key/artifacts-key`.

- `reader`: `load_deployment`, the roles and resources of every stack with their policy documents;
- `resolver`: `StackResolver`, each stack's intrinsics resolved to literal names and ARNs;
- `deployment`: what the reader returns (`Deployment`, `DeployedRole`, `DeployedResource`, `Document`).
"""
