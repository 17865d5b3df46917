"""Comprehend's use of customer managed KMS keys (Comprehend Developer Guide, "Sharing a custom
model with another AWS account" and "Importing a custom model from another AWS account";
aws-facts item 3).

- Create*: ModelKmsKeyId and VolumeKmsKeyId must name keys that exist and are enabled.
- ImportModel of a version encrypted with a key of A, or with a ModelKmsKeyId of B's for the
  copy: Comprehend works with the keys as the DataAccessRoleArn role, which must exist in the
  caller's account and trust comprehend.amazonaws.com (aws:SourceAccount: the caller's
  account). The role must be allowed kms:CreateGrant, kms:Decrypt and kms:GenerateDataKey on
  each key by the key policy and its own policies. The request context is what the guide's
  policies test: aws:SourceArn (Decrypt, GenerateDataKey) and
  kms:EncryptionContext:aws:comprehend:arn (all three) are the model's ARN; kms:ViaService is
  s3.<region>.amazonaws.com for Decrypt/GenerateDataKey, as the guide's role example conditions
  them, and comprehend.<region>.amazonaws.com for CreateGrant.
- Anything missing: KmsKeyValidationException naming the key (AWS documents no other error
  for it; see aws-facts item 3).
"""

from __future__ import annotations

from local_cloud.iam import Principal
from local_cloud.iam.identities import role_exists
from local_cloud.iam.organization import org_id_of
from local_cloud.services.comprehend.errors import error
from local_cloud.services.kms.access import may_use, trusts_service
from local_cloud.services.kms.keys import Key, resolve

COMPREHEND_SERVICE = "comprehend.amazonaws.com"
KEY_ACTIONS = ("kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey")


def _invalid_key(reference: str, why: str) -> Exception:
    return error("KmsKeyValidationException",
                 f"The KMS customer managed key (CMK) {reference} cannot be validated: {why}")


def usable_key(reference: str, account: str, region: str) -> Key:
    key = resolve(reference, account, region)
    if key is None:
        raise _invalid_key(reference, "no such key")
    if not key.enabled:
        raise _invalid_key(reference, "the key is not enabled")
    return key


def check_create_keys(account: str, region: str, *references: str | None) -> None:
    for reference in references:
        if reference:
            usable_key(reference, account, region)


def _role_may_use(role_arn: str, account: str, key: Key, reference: str, model_arn: str,
                  region: str) -> None:
    session = f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/Comprehend"
    principal = Principal(account=account, arn=session, role_arn=role_arn,
                          org_id=org_id_of(account))
    for action in KEY_ACTIONS:
        context = {"kms:EncryptionContext:aws:comprehend:arn": model_arn}
        if action == "kms:CreateGrant":
            context["kms:ViaService"] = f"comprehend.{region}.amazonaws.com"
        else:
            context.update({"aws:SourceArn": model_arn,
                            "kms:ViaService": f"s3.{region}.amazonaws.com"})
        why = may_use(principal, key, action, context)
        if why is not None:
            raise _invalid_key(reference, f"{role_arn} may not use it: {why}")


def check_import_keys(caller_account: str, region: str, source_arn: str,
                      source_key: str | None, copy_arn: str, copy_key: str | None,
                      role_arn: str | None) -> None:
    """KmsKeyValidationException unless the role may use the source's and the copy's keys."""
    needed = [(reference, owner, model) for reference, owner, model in (
        (source_key, source_arn.split(":")[4], source_arn),
        (copy_key, caller_account, copy_arn)) if reference]
    if not needed:
        return
    keys = [(usable_key(reference, owner, region), reference, model)
            for reference, owner, model in needed]
    first = needed[0][0]
    if not role_arn:
        raise _invalid_key(first, "Comprehend needs a DataAccessRoleArn to use it")
    if role_arn.split(":")[4] != caller_account or not role_exists(role_arn):
        raise _invalid_key(first, f"the role {role_arn} does not exist in account "
                                  f"{caller_account}")
    from moto.iam.models import iam_backends

    trust = iam_backends[caller_account]["aws"].get_role_by_arn(role_arn)
    if not trusts_service(trust.assume_role_policy_document, COMPREHEND_SERVICE,
                          {"aws:SourceAccount": caller_account}):
        raise _invalid_key(first, f"the role {role_arn} does not let {COMPREHEND_SERVICE} "
                                  f"assume it for account {caller_account}")
    for key, reference, model in keys:
        _role_may_use(role_arn, caller_account, key, reference, model, region)
