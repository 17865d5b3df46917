"""KMS in the local cloud, as other services use it: moto's keys and key policies, with AWS's
rules for who may use a key.

- `keys.resolve`: the key a key id, key ARN, alias name or alias ARN names, in the account the
  ARN carries (or the caller's), if it exists and is enabled.
- `access.may_use`: whether a principal may perform a KMS action on a key: the key policy is
  the resource policy, decided by local_cloud.iam's evaluator with KMS's own rule (below).
- `access.trusts_service`: whether a role's trust policy lets an AWS service assume it.
"""
