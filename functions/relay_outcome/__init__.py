"""The RelayOutcome Lambda function (handler: relay_outcome.app.handler)."""
