"""From our SAM template file to a plain CloudFormation template, offline.

Four steps, in the order CloudFormation itself applies them:
1. read the YAML (short tags such as `!Sub` become their long `Fn::Sub` form);
2. expand `Fn::ForEach` loops (the AWS::LanguageExtensions transform runs first);
3. package local code: folders named by `CodeUri` are zipped into the local S3 and ASL
   files named by `DefinitionUri` are inlined (the translator accepts only S3 locations);
4. run the AWS SAM translator, which turns `AWS::Serverless::*` into plain resources.

`translate_template` runs the four in order; the deployer and the offline static checks
(tests/static_checks.py) both start from it.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import hashlib
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_cloud.cloudformation.intrinsics import (
    TemplateError,
    parameter_text,
    resolve_parameters,
)

LOG = logging.getLogger(__name__)

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
SERVERLESS = "AWS::Serverless-2016-10-31"
FOR_EACH_PREFIX = "Fn::ForEach::"
# CloudFormation allows loops in these sections only.
FOR_EACH_SECTIONS = ("Conditions", "Resources", "Outputs")
# Files a Lambda package never needs; they only make zips differ between runs.
SKIPPED_IN_ZIP = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
# A fixed timestamp keeps a zip's bytes, hence its S3 key, stable for unchanged code.
ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Translated:
    """A template file made plain CloudFormation for one stack, with the parameter values it
    was translated with: `values` as resolved (lists stay lists), `texts` as CloudFormation
    receives them."""

    template: dict[str, Any]
    values: dict[str, Any]
    texts: dict[str, str]


def translate_template(path: Path, parameters: Mapping[str, str], store: ArtifactStore,
                       region: str) -> Translated:
    """The four steps above, for one stack's parameters; local code goes to `store`."""
    raw = load_template(path)
    values = resolve_parameters(raw.get("Parameters") or {}, parameters)
    template = expand_for_each(raw, values)
    template = package_local_artifacts(template, path.parent, store)
    texts = {name: parameter_text(value) for name, value in values.items()}
    return Translated(translate_serverless(template, texts, region), values, texts)


# --- 1. reading ----------------------------------------------------------------------------

def load_template(path: Path) -> dict[str, Any]:
    """The template as plain dicts, lists and scalars (cfn-lint's loader knows the short tags)."""
    from cfnlint.decode import cfn_json, cfn_yaml

    text = path.read_text()
    try:
        if text.lstrip().startswith("{"):
            raw = cfn_json.loads(text)
        else:
            raw = cfn_yaml.loads(text, str(path))
    except Exception as error:  # the loader raises several unrelated types
        raise TemplateError(f"{path}: cannot be read as a CloudFormation template: {error}") \
            from error
    template = _plain(raw)
    if not isinstance(template, dict):
        raise TemplateError(f"{path}: a template must be a mapping")
    return template


def _plain(node: Any) -> Any:
    """Drop the loader's position-carrying subclasses; dates stay text as CloudFormation reads
    them (YAML would otherwise turn `2010-09-09` into a date)."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, datetime.date):
        return node.isoformat()
    if isinstance(node, bool | int | float) or node is None:
        return node
    return str(node)


def transforms(template: Mapping[str, Any]) -> list[str]:
    declared = template.get("Transform", [])
    return [declared] if isinstance(declared, str) else list(declared)


# --- 2. Fn::ForEach --------------------------------------------------------------------------

def expand_for_each(template: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Unroll every `Fn::ForEach::<Name>` loop and drop the LanguageExtensions transform.

    `parameters` holds resolved parameter values (a CommaDelimitedList as a list). Semantics
    as documented for AWS::LanguageExtensions: `[Identifier, Collection, {OutputKey: Value}]`;
    `${Identifier}` and `&{Identifier}` (the item without non-alphanumerics) are replaced in
    keys and string values, `{"Ref": Identifier}` by the item; loops may nest.
    """
    result = dict(template)
    for section in FOR_EACH_SECTIONS:
        if isinstance(template.get(section), dict):
            result[section] = _expand_node(template[section], parameters, section)
    remaining = [name for name in transforms(template) if name != LANGUAGE_EXTENSIONS]
    if remaining:
        result["Transform"] = remaining[0] if len(remaining) == 1 else remaining
    else:
        result.pop("Transform", None)
    return result


def _expand_node(node: Any, parameters: Mapping[str, Any], where: str) -> Any:
    if isinstance(node, list):
        return [_expand_node(item, parameters, where) for item in node]
    if not isinstance(node, dict):
        return node
    expanded: dict[str, Any] = {}
    for key, value in node.items():
        if not key.startswith(FOR_EACH_PREFIX):
            _add_unique(expanded, key, _expand_node(value, parameters, f"{where}.{key}"), where)
            continue
        loop = f"{where}.{key}"
        identifier, items, fragment = _loop_parts(value, parameters, loop)
        for item in items:
            unrolled = _expand_node(_substitute_item(fragment, identifier, item), parameters, loop)
            for out_key, out_value in unrolled.items():
                _add_unique(expanded, out_key, out_value, loop)
    return expanded


def _add_unique(target: dict[str, Any], key: str, value: Any, where: str) -> None:
    if key in target:
        raise TemplateError(f"{where}: key {key!r} is produced twice (Fn::ForEach output keys "
                            "must differ for each item)")
    target[key] = value


def _loop_parts(loop: Any, parameters: Mapping[str, Any],
                where: str) -> tuple[str, list[str], dict[str, Any]]:
    if not (isinstance(loop, list) and len(loop) == 3 and isinstance(loop[0], str)
            and isinstance(loop[2], dict)):
        raise TemplateError(f"{where}: Fn::ForEach takes [Identifier, Collection, "
                            "{OutputKey: OutputValue}]")
    identifier, collection, fragment = loop
    if isinstance(collection, dict) and set(collection) == {"Ref"}:
        name = collection["Ref"]
        if name not in parameters:
            raise TemplateError(f"{where}: the collection refers to {name!r}, which is not a "
                                "parameter")
        collection = parameters[name]
        if isinstance(collection, str):  # a String parameter holding a comma-separated list
            collection = [part.strip() for part in collection.split(",")]
        # An empty CommaDelimitedList parameter means "no items" here, not one empty item.
        collection = [item for item in collection if item != ""]
    if not isinstance(collection, list):
        raise TemplateError(f"{where}: the collection must be a list or a Ref to a "
                            "CommaDelimitedList parameter")
    items = [_scalar_text(item, where) for item in collection]
    for key in fragment:
        if not key.startswith(FOR_EACH_PREFIX) and f"{{{identifier}}}" not in key:
            raise TemplateError(f"{where}: output key {key!r} must contain ${{{identifier}}} "
                                f"or &{{{identifier}}}")
    return identifier, items, fragment


def _scalar_text(item: Any, where: str) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str | int | float):
        return str(item)
    raise TemplateError(f"{where}: collection items must be strings, got {item!r}")


def _substitute_item(node: Any, identifier: str, item: str) -> Any:
    if isinstance(node, str):
        alphanumeric = re.sub(r"[^A-Za-z0-9]", "", item)
        return node.replace(f"${{{identifier}}}", item).replace(f"&{{{identifier}}}",
                                                                  alphanumeric)
    if isinstance(node, list):
        return [_substitute_item(part, identifier, item) for part in node]
    if isinstance(node, dict):
        if node == {"Ref": identifier}:
            return item
        return {_substitute_item(key, identifier, item): _substitute_item(value, identifier, item)
                for key, value in node.items()}
    return node


# --- 3. local code -----------------------------------------------------------------------------

class ArtifactStore:
    """Uploads code packages to one S3 bucket of the account that deploys."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str) -> None:
        self._s3 = s3_client
        self.bucket = bucket
        self._prefix = prefix
        self._bucket_ready = False

    def upload_folder(self, folder: Path, name: str) -> str:
        """Zip a folder and upload it once per content; returns its s3:// URI."""
        data = zip_folder(folder)
        key = f"{self._prefix}/{name}-{hashlib.sha256(data).hexdigest()[:16]}.zip"
        self._ensure_bucket()
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        return f"s3://{self.bucket}/{key}"

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except Exception:  # noqa: BLE001 - botocore's 404 has no class of its own
            self._s3.create_bucket(Bucket=self.bucket)
        self._bucket_ready = True


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_dir() or SKIPPED_IN_ZIP.intersection(relative.parts):
                continue
            if path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(relative.as_posix(), ZIP_TIMESTAMP)
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def package_local_artifacts(template: dict[str, Any], base_dir: Path,
                            store: ArtifactStore) -> dict[str, Any]:
    """Replace local `CodeUri`/`ContentUri`/`Code` folders by S3 URIs and inline local ASL
    files named by `DefinitionUri`. Returns a new template; `template` is left as it was."""
    packaged = copy.deepcopy(template)
    function_globals = packaged.get("Globals", {}).get("Function", {})
    if _is_local(function_globals.get("CodeUri"), base_dir):
        function_globals["CodeUri"] = store.upload_folder(
            _local_path(function_globals["CodeUri"], base_dir), "globals")
    for logical_id, resource in packaged.get("Resources", {}).items():
        if not isinstance(resource, dict):
            continue
        _drop_build_hints(resource)
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        kind = resource.get("Type")
        upload_keys = {"AWS::Serverless::Function": "CodeUri",
                       "AWS::Serverless::LayerVersion": "ContentUri",
                       "AWS::Lambda::Function": "Code"}
        key = upload_keys.get(str(kind))
        if key and _is_local(properties.get(key), base_dir):
            uri = store.upload_folder(_local_path(properties[key], base_dir), logical_id)
            properties[key] = _s3_location(uri) if key == "Code" else uri
        if kind == "AWS::Serverless::StateMachine" and _is_local(properties.get("DefinitionUri"),
                                                                 base_dir):
            asl_file = _local_path(properties.pop("DefinitionUri"), base_dir)
            try:
                properties["Definition"] = json.loads(asl_file.read_text())
            except json.JSONDecodeError as error:
                raise TemplateError(f"Resources.{logical_id}: {asl_file} is not JSON: {error}") \
                    from error
    return packaged


def _drop_build_hints(resource: dict[str, Any]) -> None:
    """`sam build` hints (BuildMethod, BuildProperties) mean nothing to a deployment."""
    metadata = resource.get("Metadata")
    if isinstance(metadata, dict):
        for hint in ("BuildMethod", "BuildProperties"):
            metadata.pop(hint, None)
        if not metadata:
            resource.pop("Metadata")


def _is_local(uri: Any, base_dir: Path) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://") and \
        _local_path(uri, base_dir).exists()


def _local_path(uri: str, base_dir: Path) -> Path:
    return (base_dir / uri).resolve()


def _s3_location(uri: str) -> dict[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return {"S3Bucket": bucket, "S3Key": key}


# --- 4. the SAM translator ---------------------------------------------------------------------

class _ManagedPolicies:
    """The translator maps managed policy *names* to ARNs; moto ships the AWS list offline.
    ARNs given as ARNs pass through untouched."""

    def load(self) -> dict[str, str]:
        try:
            from moto.iam.aws_managed_policies import aws_managed_policies_data
        except ImportError:
            return {}
        policies = json.loads(aws_managed_policies_data)
        return {name: f"arn:aws:iam::aws:policy{spec.get('Path', '/')}{name}"
                for name, spec in policies.items()}


@contextlib.contextmanager
def _region_environment(region: str) -> Iterator[None]:
    """The translator builds ARNs from the Region found in the environment."""
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


def translate_serverless(template: dict[str, Any], parameter_values: Mapping[str, Any],
                         region: str) -> dict[str, Any]:
    """Plain CloudFormation from a SAM template; a template without the transform is returned
    as it is."""
    if SERVERLESS not in transforms(template):
        return template
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    # The translator warns about its own unpublished usage metrics on every run.
    logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)
    with _region_environment(region):
        try:
            translated = transform(copy.deepcopy(template), dict(parameter_values),
                                   _ManagedPolicies())
        except InvalidDocumentException as error:
            causes = "; ".join(cause.message for cause in error.causes)
            raise TemplateError(f"the SAM translator rejected the template: {causes}") \
                from error
    translated.pop("Transform", None)
    return translated
