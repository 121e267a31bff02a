"""AWS Clean Rooms ML: ListAudienceGenerationJobs (rest-json, GET with query parameters)."""

from pagetape.aws.specs import OperationSpec, ServicePlugin

PLUGIN = ServicePlugin(
    service="cleanroomsml",
    operations=[
        OperationSpec(
            operation="ListAudienceGenerationJobs",
            result_key=["audienceGenerationJobs"],
            page_size_max=100,
        ),
    ],
    field_hints={
        "name": "name",
        "description": "free_text",
        "startedBy": "account_id",
    },
)
