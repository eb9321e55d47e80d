"""Link state machine task: link one page of the channel's catalog; returns the next page's cursor."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from shared.services.linking import link_page

logger = Logger()
tracer = Tracer(patch_modules=("botocore", "httpx"))


class LinkPageEvent(BaseModel):
    job_id: str
    cursor: str | None = None


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = LinkPageEvent.model_validate(event)
    return asdict(link_page(request.job_id, request.cursor))
