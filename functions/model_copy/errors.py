"""Errors that name what is wrong and how to fix it.

Their class names are the `Error` names a Step Functions execution fails with,
so they are part of the contract with whoever reads an execution's outcome.
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
