"""Channel webhooks: verified and queued within a second; the work happens behind the queue."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

import base64
import json
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.channel import ChannelType
from shared.handlers import imported, observability
from shared.metrics import emit
from shared.services.webhooks import Received, challenge, receive

logger, tracer = observability()
imported()


# A refusal is counted under this channel: the channel an unsigned request names is its sender's
# choice, and each new name would be a new metric (a cost a flood of forged webhooks could run up).
UNVERIFIED = "unverified"
ACCEPTED = {"queued": "queued", "duplicate": "duplicates", "too old": "too_old"}


def _count(channel: str, result: Received) -> None:
    """The dashboard's webhooks per channel and the refusals' alarms (template.yaml); a 400 comes
    from a verified sender (a body that does not fit its topic or its store)."""
    if result.status in (401, 413):
        emit(UNVERIFIED, {f"refused_{result.status}": 1})
    elif result.status == 400:
        emit(channel, {"refused_400": 1})
    elif result.status == 200 and result.message in ACCEPTED:
        emit(channel, {ACCEPTED[result.message]: 1})


def _raw_body(event: APIGatewayProxyEventV2) -> bytes:
    """The body exactly as the channel signed it."""
    if not event.body:
        return b""
    return base64.b64decode(event.body) if event.is_base64_encoded else event.body.encode()


def _endpoint(event: APIGatewayProxyEventV2) -> str:
    """The URL the request was sent to, as eBay registered it (API Gateway gives X-Forwarded-Proto)."""
    proto = event.headers.get("x-forwarded-proto", "https")
    host = event.headers.get("host") or event.request_context.domain_name
    return f"{proto}://{host}{event.raw_path}"


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@event_source(data_class=APIGatewayProxyEventV2)
def lambda_handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> dict[str, Any]:
    # the routes: /v1/webhooks/<type>/{channel}, and eBay's Platform Notifications at .../platform
    parts = event.raw_path.split("/")
    channel_type, platform = ChannelType(parts[3]), parts[5:] == ["platform"]
    channel = event.path_parameters["channel"]
    if event.request_context.http.method == "GET":  # eBay validating its destination
        status, answer = challenge(
            channel_type, channel, event.get_query_string_value("challenge_code") or "", _endpoint(event)
        )
        return {
            "statusCode": status,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(answer),
        }
    result = receive(channel_type, channel, event.headers, _raw_body(event), platform=platform)
    _count(channel, result)
    return {
        "statusCode": result.status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": result.message}),
    }
