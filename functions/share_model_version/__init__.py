"""The ShareModelVersion Lambda function (handler: share_model_version.app.handler)."""
