"""Amazon Personalize: ListDataDeletionJobs has no botocore paginator; ListBatchSegmentJobs has one,
but the plugin states its documented page-size default (100) as well."""

from pagetape.aws.specs import OperationSpec, ServicePlugin

PLUGIN = ServicePlugin(
    service="personalize",
    operations=[
        OperationSpec(
            operation="ListBatchSegmentJobs",
            result_key=["batchSegmentJobs"],
            page_size_max=100,
            page_size_default=100,
        ),
        OperationSpec(
            operation="ListDataDeletionJobs",
            result_key=["dataDeletionJobs"],
            page_size_max=100,
        ),
    ],
    field_hints={
        "jobName": "name",
        "status": "keep",
        "failureReason": "free_text",
    },
)
