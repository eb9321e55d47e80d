"""Channel webhooks: verified and queued within a second; the work happens behind the queue."""

import base64
import json
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.channel import ChannelType
from shared.services.webhooks import receive

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))  # not httpx: unused here, and patching would import it


def _raw_body(event: APIGatewayProxyEventV2) -> bytes:
    """The body exactly as the channel signed it."""
    if not event.body:
        return b""
    return base64.b64decode(event.body) if event.is_base64_encoded else event.body.encode()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@event_source(data_class=APIGatewayProxyEventV2)
def lambda_handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> dict[str, Any]:
    channel_type = ChannelType(event.raw_path.split("/")[3])  # the route: /v1/webhooks/<type>/{channel}
    result = receive(channel_type, event.path_parameters["channel"], event.headers, _raw_body(event))
    return {
        "statusCode": result.status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": result.message}),
    }
