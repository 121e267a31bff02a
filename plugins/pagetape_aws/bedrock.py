"""Amazon Bedrock: ListModelImportJobs (rest-json, GET with query parameters and sort options)."""

from pagetape.specs import OperationSpec, ServicePlugin

PLUGIN = ServicePlugin(
    service="bedrock",
    operations=[
        OperationSpec(
            operation="ListModelImportJobs",
            input_token=["nextToken"],
            output_token=["nextToken"],
            result_key=["modelImportJobSummaries"],
            limit_key="maxResults",
            page_size_min=1,
            page_size_max=1000,
        ),
    ],
    field_hints={
        "jobName": "name",
        "importedModelName": "name",
        "nameContains": "name",
    },
)
