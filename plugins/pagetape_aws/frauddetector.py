"""Amazon Fraud Detector: GetBatchPredictionJobs has no botocore paginator, so it is described here."""

from pagetape.aws.specs import OperationSpec, ServicePlugin

PLUGIN = ServicePlugin(
    service="frauddetector",
    operations=[
        # "If you provide a null maxResults, this action retrieves a maximum of 50 records per
        # page. If you provide a maxResults, the value must be between 1 and 50."
        OperationSpec(
            operation="GetBatchPredictionJobs",
            result_key=["batchPredictions"],
            page_size_max=50,
            page_size_default=50,
        ),
    ],
    field_hints={
        "jobId": "name",
        "detectorName": "name",
        "eventTypeName": "name",
        "detectorVersion": "keep",
        "failureReason": "free_text",
    },
)
