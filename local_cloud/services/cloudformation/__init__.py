"""CloudFormation's read API answers the stacks the local deployer deployed.

The deployer (`local_cloud.cloudformation.deployer`) creates each resource through the services'
own APIs, so moto's CloudFormation never hears of those stacks and answered DescribeStacks with
"Stack with id model-copy-source does not exist". Here the deployer's records
(`<state_dir>/stacks/`, the same ones `model-copy local status` reads) answer first:

- `DescribeStacks` by stack name or stack id, in the caller's account and Region: the stack as
  AWS describes one (`descriptions.described`);
- `DescribeStacks` without a name and `ListStacks`: ours, then any moto holds itself (stacks
  made through moto's own `CreateStack`);
- a stack neither knows: moto's answer, which is AWS's: `ValidationError` "Stack with id NAME
  does not exist" (API reference, DescribeStacks: "If the stack doesn't exist, a
  ValidationError is returned").

Stacks are per account: another account's stack id is not found either. Role sessions need
`cloudformation:DescribeStacks` on the stack (`local_cloud.iam.operations`).
"""

from __future__ import annotations


def install() -> None:
    from local_cloud.services.cloudformation import moto_patch

    moto_patch.install()
