"""The resources of a batch, as `hailtop.batch.resource` names them: files, groups and Python results."""

from genolog.batch._resource import (
    InputResourceFile,
    JobResourceFile,
    PythonResult,
    Resource,
    ResourceFile,
    ResourceGroup,
)

__all__ = [
    "InputResourceFile",
    "JobResourceFile",
    "PythonResult",
    "Resource",
    "ResourceFile",
    "ResourceGroup",
]
