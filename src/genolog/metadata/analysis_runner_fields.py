"""The fields of an analysis-runner record, in the order the published client sends them."""

RECORD_FIELDS = (
    "ar_guid",
    "access_level",
    "repository",
    "commit",
    "script",
    "description",
    "driver_image",
    "config_path",
    "cwd",
    "environment",
    "hail_version",
    "batch_url",
    "submitting_user",
    "output_path",
)
