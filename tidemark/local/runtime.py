"""The whole stack on one laptop: template.yaml deployed into moto, handlers in-process,
SQS event sources polled, schedules fired, executions' status changes sent to their rules,
the HTTP API on 127.0.0.1, and sandbox stores.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tidemark.api_client import ConsoleApi
from tidemark.auth import BearerToken, Login, sign_in
from tidemark.local.amazon import associate_partner_bus
from tidemark.local.deploy import Deployment, deploy
from tidemark.local.template import REGION
from tidemark.local.users import LocalUser, create_users

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT_ROOT / "template.yaml"

# Settings of the laptop, not of the infrastructure: where AWS is (moto, in-process) and that
# X-Ray and CloudWatch are not there. Everything else the handlers read comes from the template.
LOCAL_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "core": {"reset_boto3_session": True}}


class EnvironmentConflict(ValueError):
    pass


@dataclass
class SandboxStore:
    channel_type: str
    url: str
    credentials: dict[str, str]
    store: Any
    server: Any = field(repr=False)


def handler_environment(deployment: Deployment) -> dict[str, str]:
    """The one environment every handler shares: handlers run in one process, so they must agree."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for spec in deployment.functions.values():
        for name, value in spec.environment.items():
            if name in merged and merged[name] != value:
                raise EnvironmentConflict(
                    f"{name} differs between {owner[name]} and {spec.logical_id}; local mode runs every "
                    "handler in one process: give it one value (template.yaml Globals)"
                )
            merged[name] = value
            owner.setdefault(name, spec.logical_id)
    return merged


class LocalRuntime:
    def __init__(
        self,
        template: Path = TEMPLATE,
        *,
        port: int = 8000,
        sandboxes: bool = True,
        shopify_variants: int = 200,
        woocommerce_products: int = 200,
        ebay_items: int = 200,
        seed: int = 7,
        log_level: str = "WARNING",
        shopify_locations: int = 1,
    ) -> None:
        self.template = template
        self.port = port
        self.with_sandboxes = sandboxes
        self.shopify_variants = shopify_variants
        self.woocommerce_products = woocommerce_products
        self.ebay_items = ebay_items
        self.seed = seed
        self.log_level = log_level
        self.shopify_locations = shopify_locations
        self.deployment: Deployment | None = None
        self.api_url = ""
        self.users: dict[str, LocalUser] = {}  # group (operator, viewer) -> its user
        self.sandboxes: dict[str, SandboxStore] = {}
        self._saved_environment: dict[str, str] = {}
        self._mock: Any = None
        self._pollers: list[Any] = []
        self._schedules: Any = None
        self._executions: Any = None
        self._api_server: Any = None

    def start(self) -> LocalRuntime:
        from moto import mock_aws

        from tidemark.local import answers, atomic, event_rules, lambdas, queries, queue_attributes

        self._saved_environment = dict(os.environ)
        os.environ.update(LOCAL_ENVIRONMENT)
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        try:
            lambdas.install_seam()
            queries.install()
            answers.install()
            queue_attributes.install()
            event_rules.install()
            atomic.make_atomic()
            self.deployment = deploy(self.template, **associate_partner_bus())
            os.environ.update(handler_environment(self.deployment))
            os.environ["POWERTOOLS_LOG_LEVEL"] = self.log_level
            self._forget_cached_clients()
            for spec in self.deployment.functions.values():
                lambdas.register(spec)
            self.users = create_users(self.deployment)
            self._start_workers()
            if self.with_sandboxes:
                self._start_sandboxes()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_workers(self) -> None:
        from tidemark.local.executions import ExecutionEvents
        from tidemark.local.http_api import HttpApi
        from tidemark.local.jwt_auth import COGNITO_PATH
        from tidemark.local.pollers import QueuePoller
        from tidemark.local.schedules import ScheduleRunner
        from tidemark.local.streams import StreamPoller
        from tidemark.sandbox.server import serve_in_thread

        assert self.deployment is not None
        region = REGION
        self._pollers = [QueuePoller(source, region) for source in self.deployment.event_sources]
        self._pollers += [StreamPoller(source, region) for source in self.deployment.stream_sources]
        for poller in self._pollers:
            poller.start()
        self._schedules = ScheduleRunner(self.deployment.schedule_groups, region)
        self._schedules.start()
        self._executions = ExecutionEvents(self.deployment.rules, region)
        self._executions.start()
        api = HttpApi(self.deployment.routes, region, self.deployment.authorizers)
        self._api_server = serve_in_thread(api.app, port=self.port)
        self.api_url = self._api_server.url
        # GET /v1/auth/config's cognito_url: the local API's own endpoint, not AWS's (jwt_auth.COGNITO_PATH).
        os.environ["COGNITO_URL"] = f"{self.api_url}{COGNITO_PATH}"

    def _start_sandboxes(self) -> None:
        from tidemark.sandbox import shopify, woocommerce
        from tidemark.sandbox.server import serve_in_thread

        token = f"shpat_{secrets.token_hex(16)}"
        shop = shopify.ShopifyStore.generate(
            self.shopify_variants, seed=self.seed, location_count=self.shopify_locations
        )
        server = serve_in_thread(shopify.create_app(shop, token))
        self.sandboxes["shopify"] = SandboxStore("shopify", server.url, {"token": token}, shop, server)

        key, secret = f"ck_{secrets.token_hex(20)}", f"cs_{secrets.token_hex(20)}"
        woo = woocommerce.WooStore.generate(self.woocommerce_products, seed=self.seed)
        server = serve_in_thread(woocommerce.create_app(woo, key, secret))
        woo.url = server.url
        self.sandboxes["woocommerce"] = SandboxStore(
            "woocommerce", server.url, {"key": key, "secret": secret}, woo, server
        )
        from tidemark.local.amazon import NOTIFICATIONS_QUEUE, start_amazon

        assert self.deployment is not None
        queue_url = self.deployment.resources[NOTIFICATIONS_QUEUE].ref
        self.sandboxes["amazon"] = SandboxStore(
            "amazon", *start_amazon(self.woocommerce_products, self.seed, queue_url)
        )
        self._start_ebay()

    def _start_ebay(self) -> None:
        from tidemark.sandbox import ebay
        from tidemark.sandbox.server import serve_in_thread

        credentials = {
            "client_id": f"Tidemark-local-PRD-{secrets.token_hex(4)}",
            "client_secret": f"PRD-{secrets.token_hex(12)}",
            "dev_id": str(uuid.uuid4()),  # the keyset signing Platform Notifications
            "refresh_token": f"v^1.1#i^1#r^1#{secrets.token_urlsafe(24)}",
            "marketplace_id": "EBAY_US",
        }
        bay = ebay.EbayStore.generate(self.ebay_items, seed=self.seed)
        client_id, client_secret = credentials["client_id"], credentials["client_secret"]
        oauth = ebay.OAuth(client_id, client_secret, credentials["refresh_token"])
        server = serve_in_thread(ebay.create_app(bay, oauth))
        self.sandboxes["ebay"] = SandboxStore("ebay", server.url, credentials, bay, server)

    @staticmethod
    def _forget_cached_clients() -> None:
        from aws_lambda_powertools.utilities import parameters

        from shared.storage import aws

        aws.reset()
        parameters.clear_caches()  # type: ignore[no-untyped-call]

    def login(self, group: str = "operator") -> Login:
        """Sign in as the group's local user, as the page and `tidemark login` do."""
        user = self.users[group]
        return sign_in(self.api_url, user.username, user.password)

    def client(self, group: str = "operator") -> ConsoleApi:
        """A console API client signed in as the group's local user."""
        return ConsoleApi(self.api_url, auth=BearerToken(self.login(group)))

    @property
    def schedules(self) -> Any:
        return self._schedules

    @property
    def pollers(self) -> list[Any]:
        return self._pollers

    def restart_workers(self) -> None:
        """Kill the event sources' workers with their batches in flight and start new ones (a fault
        the soak injects): what the old ones received comes back after its visibility timeout, and
        the streams go on from the last batch delivered, as Lambda's checkpoint does."""
        from tidemark.local.pollers import QueuePoller
        from tidemark.local.streams import StreamPoller

        for poller in self._pollers:
            poller.stop(abandon=True)
        self._pollers = [
            QueuePoller(p.source, REGION)
            if isinstance(p, QueuePoller)
            else StreamPoller(p.source, REGION, resume_from=p.positions())
            for p in self._pollers
        ]
        for poller in self._pollers:
            poller.start()

    def stop(self) -> None:
        """Stop every part, each even if one before it failed to stop; then raise the first failure."""
        from tidemark.local import answers, atomic, event_rules, lambdas, queries, queue_attributes

        failures: list[Exception] = []

        def attempt(stop: Callable[[], object]) -> None:
            try:
                stop()
            except Exception as error:
                log.exception("a part of the local runtime failed to stop")
                failures.append(error)

        for sandbox in self.sandboxes.values():
            attempt(sandbox.server.stop)
            attempt(sandbox.store.close)
        self.sandboxes.clear()
        parts = [self._api_server, *self._pollers, self._schedules, self._executions]
        for part in (part for part in parts if part is not None):
            attempt(part.stop)
        self._api_server, self._pollers, self._schedules, self._executions = None, [], None, None
        undoes = (lambdas.remove_seam, atomic.undo, event_rules.undo, queue_attributes.undo, answers.undo)
        for undo in (*undoes, queries.undo):
            attempt(undo)
        if self._mock is not None:
            attempt(self._mock.stop)
            self._mock = None
        os.environ.clear()
        os.environ.update(self._saved_environment)
        if failures:
            raise failures[0]

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.stop()
            return
        with contextlib.suppress(Exception):  # logged by stop(); the error that ended the run shows
            self.stop()
