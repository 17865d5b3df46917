"""The PrepareCopy Lambda function (handler: prepare_copy.app.handler)."""
