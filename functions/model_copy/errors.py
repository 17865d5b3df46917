"""Errors that name what is wrong and how to fix it.

On the source side a function's error is the `Error` name its execution fails with
(InvalidCopyRequest, ShareFailed), part of the contract with whoever reads an execution's
outcome; on the target side they become a refused share or a FAILED outcome, with their
message (UnauthorizedShareEvent, ImportFailed).
"""


class ModelCopyError(Exception):
    """Base of every error this project raises on purpose."""


class InvalidCopyRequest(ModelCopyError):
    """The input is malformed: nothing was called, nothing was changed."""


class ShareFailed(ModelCopyError):
    """The model version's resource policy could not be updated."""


class UnauthorizedShareEvent(ModelCopyError):
    """A share event that this target must not act on (sender, model owner or Region)."""


class ImportFailed(ModelCopyError):
    """The target could not import the model, or the copy ended IN_ERROR/STOPPED."""
