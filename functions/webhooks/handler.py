"""Channel webhooks: verified and queued within a second; the work happens behind the queue."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.channel import ChannelType
from shared.services.webhooks import receive

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()


@app.post("/v1/webhooks/<channel_type>/<channel>")
def webhook(channel_type: str, channel: str) -> Response[Any]:
    event = app.current_event
    body = event.decoded_body.encode() if event.decoded_body else b""
    result = receive(ChannelType(channel_type), channel, dict(event.headers), body)
    return Response(result.status, content_types.APPLICATION_JSON, {"message": result.message})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
