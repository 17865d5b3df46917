"""CloudTrail in the local cloud: moto's trails decide whether API calls are recorded.

AWS delivers "AWS API Call via CloudTrail" events to EventBridge only in an account with a trail
that is logging ("To record events with a detail-type value of AWS API Call via CloudTrail, a
CloudTrail trail with logging enabled is required", EventBridge User Guide, "Events from AWS
services"). `recording.is_recording` answers that from moto's CloudTrail backend;
`setup.start_trail` sets a trail up as an account administrator would (client side).
"""
