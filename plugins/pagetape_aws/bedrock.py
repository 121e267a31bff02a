"""Amazon Bedrock: ListModelImportJobs (rest-json, GET with query parameters and sort options)."""

from pagetape.aws.specs import OperationSpec, ServicePlugin

PLUGIN = ServicePlugin(
    service="bedrock",
    operations=[
        OperationSpec(
            operation="ListModelImportJobs",
            result_key=["modelImportJobSummaries"],
            page_size_max=1000,
        ),
    ],
    field_hints={
        "jobName": "name",
        "importedModelName": "name",
        "nameContains": "name",
    },
)
