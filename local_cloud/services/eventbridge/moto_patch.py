"""What `install()` changes in moto's EventBridge (`moto/events/models.py`): PutEvents, rule
delivery, PutPermission with a policy, the EventBus resource of CloudFormation, the pattern
matcher's flattening; and the delivery pool's stop at server shutdown.
"""

from __future__ import annotations

import sys
from typing import Any

from local_cloud.services.eventbridge import delivery
from local_cloud.services.eventbridge.bus_policy import replace_policy
from local_cloud.services.eventbridge.ingestion import put_events
from local_cloud.services.eventbridge.patterns import flatten_event, rule_fires
from local_cloud.services.eventbridge.shapes import event_time
from local_cloud.services.eventbridge.state import state


def send_to_targets(rule: Any, original_event: dict[str, Any], transform_input: bool = True
                    ) -> None:
    """Replaces Rule.send_to_targets (archive replays and moto's own events call it)."""
    del transform_input  # targets apply their own input settings in target_input()
    event = dict(original_event)
    if isinstance(event.get("time"), int | float):
        event["time"] = event_time(event["time"])
    if rule_fires(rule, event):
        delivery.schedule_targets(rule, event)


def event_bus_from_cloudformation(original: Any) -> Any:
    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
               region_name: str, **kwargs: Any) -> Any:
        bus = original.__func__(cls, resource_name, cloudformation_json, account_id,
                                region_name, **kwargs)
        policy = (cloudformation_json.get("Properties") or {}).get("Policy")
        if policy:  # moto ignores the Policy property of AWS::Events::EventBus
            replace_policy(bus, policy)
        return bus

    return classmethod(create)


def patch_moto() -> None:
    from moto.events import models

    models.EventPattern._flatten_dict = staticmethod(flatten_event)  # type: ignore[method-assign]

    models.EventsBackend.put_events = put_events  # type: ignore[method-assign,assignment]
    models.Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
    models.EventsBackend._put_permission_from_policy = staticmethod(  # type: ignore[method-assign,assignment]
        replace_policy)
    models.EventBus.create_from_cloudformation_json = (  # type: ignore[method-assign]
        event_bus_from_cloudformation(models.EventBus.create_from_cloudformation_json))
    # `Ref` on an AWS::Events::EventBus is its name; moto's model lacks the attribute.
    models.EventBus.physical_resource_id = property(  # type: ignore[attr-defined]
        lambda bus: bus.name)


def stop_deliveries_at_shutdown() -> None:
    # `python -m local_cloud.core.server` runs the server as __main__: register there, since a
    # fresh `import local_cloud.core.server` would be a second module whose hooks never run.
    main = sys.modules.get("__main__")
    if main is not None and callable(getattr(main, "on_shutdown", None)):
        main.on_shutdown(state.shutdown)
        return
    from local_cloud.core import server

    server.on_shutdown(state.shutdown)
