"""ImportModel, which moto lacks: copy a trained model from this or another account.

From another account the source's resource policy must let the caller import it (see
policies.may_import); a refusal is counted in the caller's `imports_refused`.
"""

from __future__ import annotations

import json
from typing import Any

from local_cloud.services.comprehend.caller import current_caller
from local_cloud.services.comprehend.catalog import add, backend_of, find
from local_cloud.services.comprehend.encryption import check_import_keys
from local_cloud.services.comprehend.errors import (
    IAM_ROLE_ARN,
    KMS_KEY_ID,
    MODEL_ARN,
    check,
    check_name,
    error,
    invalid,
    not_found,
)
from local_cloud.services.comprehend.models import (
    RECOGNIZER,
    TRAINED_STATES,
    CustomModel,
    ModelArn,
    model_arn,
    plan_for,
)
from local_cloud.services.comprehend.policies import IMPORT_ACTION, may_import
from local_cloud.services.comprehend.state import state


def import_model(self: Any, source_model_arn: str, model_name: str | None = None,
                 version_name: str | None = None, model_kms_key_id: str | None = None,
                 data_access_role_arn: str | None = None,
                 tags: list[dict[str, str]] | None = None) -> str:
    caller = current_caller(self.account_id)
    check(source_model_arn, "sourceModelArn", MODEL_ARN)
    check_name(model_name, "modelName", required=False)
    check_name(version_name, "versionName", required=False)
    check(model_kms_key_id, "modelKmsKeyId", KMS_KEY_ID, required=False)
    check(data_access_role_arn, "dataAccessRoleArn", IAM_ROLE_ARN, required=False)
    source_ref = ModelArn.parse(source_model_arn)
    if source_ref is None:  # the constraint holds: only a partition our parser lacks
        raise not_found()
    if source_ref.region != self.region_name:
        raise invalid(f"The source model is in Region {source_ref.region}; a model can only "
                      f"be imported in the Region that contains it (this is "
                      f"{self.region_name})")
    with state.lock:
        source = find(backend_of(source_ref.account, source_ref.region), source_model_arn)
        if source_ref.account != caller.account:
            policy = (backend_of(source_ref.account, source_ref.region)
                      .resource_policies.get(source_model_arn) or {}).get("ResourcePolicy")
            if not may_import(policy, caller, source_model_arn):
                state.account(caller.account).imports_refused += 1
                raise error("AccessDeniedException",
                            f"User: {caller.arn} is not authorized to perform: {IMPORT_ACTION} "
                            f"on resource: {source_model_arn} because no resource-based "
                            f"policy allows the {IMPORT_ACTION} action")
        status = source.status()
        if status not in TRAINED_STATES:
            raise invalid(f"The source model {source_model_arn} is {status}; only a TRAINED "
                          "or TRAINED_WITH_WARNING model can be imported")
        name = model_name or source.name
        try:
            check_import_keys(caller.account, self.region_name, source_model_arn,
                              source.model_kms_key_id,
                              model_arn(source.kind, self.region_name, self.account_id, name,
                                        version_name),
                              model_kms_key_id, data_access_role_arn)
        except Exception:
            state.account(caller.account).imports_refused += 1
            raise
        copy = CustomModel(
            kind=source.kind, name=name, version=version_name, account=self.account_id,
            region=self.region_name, language_code=source.language_code,
            plan=plan_for(name, imported_from=source.name),
            data_access_role_arn=data_access_role_arn, mode=source.mode,
            model_kms_key_id=model_kms_key_id, source_model_arn=source_model_arn,
            input_data_config=({"EntityTypes": (source.input_data_config or {}).get(
                "EntityTypes", [])} if source.kind == RECOGNIZER else None))
        arn = add(self, copy, tags, None)
        state.account(caller.account).imports += 1
    return arn


def import_model_response(self: Any) -> str:
    """ComprehendResponse.import_model: the JSON protocol routes by method name."""
    params = json.loads(self.body or "{}")
    arn = self.comprehend_backend.import_model(
        source_model_arn=params.get("SourceModelArn"), model_name=params.get("ModelName"),
        version_name=params.get("VersionName"), model_kms_key_id=params.get("ModelKmsKeyId"),
        data_access_role_arn=params.get("DataAccessRoleArn"), tags=params.get("Tags"))
    return json.dumps({"ModelArn": arn})
