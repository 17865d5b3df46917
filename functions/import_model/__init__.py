"""The ImportModel Lambda function (handler: import_model.app.handler)."""
