"""The console API fuzzed from the OpenAPI document it serves (/v1/openapi.json), with schemathesis, in
local mode: it never answers 5xx, every 4xx names the field at fault, and a refused request changes
nothing (the table and Secrets Manager are compared before and after each one; reads are not).

How many cases: schemathesis's coverage and example phases send their fixed cases (about 800: every
boundary, every missing or extra field, wrong types and media types, undocumented methods), then the
fuzzing phase TIDEMARK_FUZZ_EXAMPLES cases per operation and mode (default 8, what `make test` runs:
about 1,000 requests in under 3 minutes; `make api-fuzz` runs 200). The seed: TIDEMARK_FUZZ_SEED; in
CI a fixed one (and the "ci" hypothesis profile derandomizes), so the gate passes or fails the same way
on every run; elsewhere a new one each run, printed, to replay a failure with.

"Names the field", by status:
- 400 and 415: `errors` lists each problem as {field, message} (a CSV row's also has its line); each
  field is one the operation has: a path, query or header parameter, a property of the JSON body
  (first segment of a dotted path; or a property the request made up, refused as extra), "body" for
  the body as a whole, "content-type", or, with a line, a CSV column;
- 404 and 409: the message quotes the value that is unknown or in conflict, as the request gave it
  (and any `errors` name fields as above);
- 405: only for a method the document does not give the path (schemathesis tries those on purpose).
The webhook routes are not in the console API's document (they are another function): their own test
here posts unsigned and badly signed bodies, which must get 401 and change nothing.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import os
import random
import re
import time
from collections import Counter
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import httpx
import pytest
import schemathesis
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("TIDEMARK_FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("TIDEMARK_FUZZ_SEED") or (8 if os.environ.get("CI") else random.getrandbits(32)))
SKUS = [f"SKU-{i:05d}" for i in range(1, 21)]
WEBHOOK_SECRET = "fuzz-webhook-secret"
# Every request the fuzzer sent and its status, for the checks after the run.
SENT: list[tuple[str, int]] = []
# Refusals that saw a change (made by earlier work still running) and were sent again once all was quiet.
REPLAYED: list[Any] = []
DOCUMENT: dict[str, Any] = {}


@pytest.fixture(scope="module")
def world(stack, api) -> dict[str, list[str]]:
    """A little state for the fuzzer to reach past 404s (listings, a linked Shopify channel, a finished
    link job and a dry run's plan), and the values it may put in path parameters and bodies."""
    rows = "".join(f"{sku},{10 + n},{n}.50\n" for n, sku in enumerate(SKUS))
    api.import_listings("sku,on_hand,price\n" + rows)
    shop = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": "shop",
            "type": "shopify",
            "store_url": shop.url,
            "allow_insecure_url": True,
            "webhook_secret": WEBHOOK_SECRET,
        }
        | shop.credentials
    )
    job_ids = []
    for body in ({"kind": "link"}, {"kind": "sync", "mode": "full", "dry_run": True}):
        job = api.wait_for_job(api.start_job({"channel": "shop", **body})["id"])
        assert job["status"] == "completed", job
        job_ids.append(job["id"])
    return {"sku": SKUS, "name": ["shop"], "channel": ["shop"], "job_id": job_ids}


CLIENTS: dict[str, Any] = {}


def snapshot() -> dict[str, Any]:
    """Everything a request could change: every table item, every secret (name and value)."""
    if not CLIENTS:  # made once: a client costs more than a scan
        CLIENTS.update((name, boto3.client(name)) for name in ("dynamodb", "secretsmanager"))
    dynamodb, secrets = CLIENTS["dynamodb"], CLIENTS["secretsmanager"]
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": os.environ["TABLE_NAME"], "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    names = [s["Name"] for s in secrets.list_secrets()["SecretList"]]
    return {
        "items": {(i["PK"]["S"], i["SK"]["S"]): i for i in items},
        "secrets": {n: secrets.get_secret_value(SecretId=n)["SecretString"] for n in names},
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    found = []
    for kind in ("items", "secrets"):
        old, new = before[kind], after[kind]
        found += [
            f"{kind} {key}"
            for key in sorted(old.keys() | new.keys(), key=str)
            if old.get(key) != new.get(key)
        ]
    return found


def quiet(timeout_s: float = 60.0) -> dict[str, Any]:
    """Wait until nothing changes for a second (jobs and pushes the fuzzer started have finished)."""
    deadline = time.monotonic() + timeout_s
    last = snapshot()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = snapshot()
        if now == last:
            return now
        last = now
    raise AssertionError(f"the stack did not settle in {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def served_schema(stack, world):
    config = schemathesis.Config.from_dict({"seed": SEED})
    DOCUMENT.update(httpx.get(f"{stack.api_url}/v1/openapi.json").json())
    schema = schemathesis.openapi.from_dict(DOCUMENT, config=config)
    schema.config.update(base_url=stack.api_url)
    sandbox_url = stack.sandboxes["shopify"].url

    @schema.auth(refresh_interval=600)
    class SignedInOperator:
        """Every case as the stack's operator, signed in again before the token's hour is up."""

        def get(self, case: Any, ctx: Any) -> str:
            return str(stack.login().access_token)

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    @schema.hook("flatmap_path_parameters")
    def known_path_values(ctx: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        """Half the time an existing SKU, channel or job, so the fuzzer reaches past the 404."""
        known = {name: world[name] for name in path_parameters or {} if name in world}
        if not known:
            return st.just(path_parameters)
        real = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})
        return st.one_of(st.just(path_parameters), real.map(lambda values: {**path_parameters, **values}))

    @schema.hook("flatmap_body")
    def known_body_values(ctx: Any, body: Any) -> st.SearchStrategy[Any]:
        """Half the time the existing channel and SKUs in a JSON body; a store URL stays on loopback."""
        if ctx.operation.path == "/v1/listings/import":
            return st.one_of(st.just(body), csv_files())
        if not isinstance(body, dict):
            return st.just(body)
        url = body.get("store_url")
        if isinstance(url, str) and re.match(r"https?://", url) and not url.startswith("http://127.0.0.1"):
            body = {**body, "store_url": sandbox_url}  # no call leaves the machine; none waits for one
        known: dict[str, st.SearchStrategy[Any]] = {}
        if isinstance(body.get("channel"), str):
            known["channel"] = st.just("shop")
        if isinstance(body.get("sku"), str):
            known["sku"] = st.sampled_from(SKUS)
        if isinstance(body.get("skus"), list):
            known["skus"] = st.lists(st.sampled_from(SKUS), min_size=1, max_size=5)
        if not known:
            return st.just(body)
        return st.one_of(st.just(body), st.fixed_dictionaries(known).map(lambda values: {**body, **values}))

    print(f"\nfuzzing the console API: {EXAMPLES} cases per operation and phase, seed {SEED}")
    return schema


COLUMNS = ["sku", "on_hand", "committed", "safety_buffer", "price", "status", "title", "auto_sync", "upc"]
CELLS = st.one_of(
    st.sampled_from([*SKUS[:3], "FZ-NEW-1", "FZ-NEW-2"]),
    st.integers(-3, 40).map(str),
    st.sampled_from(["", "active", "inactive", "true", "no", "2.50", "-1.00", "1e3", "x", '"', " SKU-00001"]),
    st.text(max_size=6),
)


def csv_files() -> st.SearchStrategy[str]:
    """A CSV of listings: known columns, cells now valid, now not."""

    def render(columns: list[str], rows: list[list[str]]) -> str:
        out = io.StringIO()
        csv.writer(out).writerows([columns, *rows])
        return out.getvalue()

    return st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True).flatmap(
        lambda columns: st.lists(
            st.lists(CELLS, min_size=len(columns), max_size=len(columns)), max_size=4
        ).map(lambda rows: render(columns, rows))
    )


@pytest.fixture
def console_schema(request, served_schema):
    # schemathesis 4.32's lazy loader reads and renames the test's `_nodeid`, which pytest 9.2's
    # nodes no longer have: give this test's node one (it only labels the per-operation subtests).
    request.node._nodeid = request.node.nodeid
    return served_schema


schema = schemathesis.pytest.from_fixture("console_schema")


def fields_of(case: Any) -> set[str]:
    """The names a 4xx of this operation may give as the field at fault."""
    operation = case.operation
    names = {"body", "content-type", "method"} | {p.name.lower() for p in operation.iter_parameters()}
    served = DOCUMENT["paths"][operation.path][operation.method.lower()]
    for content in served.get("requestBody", {}).get("content", {}).values():
        schema = content.get("schema", {})
        if "$ref" in schema:  # "#/components/schemas/<name>"
            schema = DOCUMENT["components"]["schemas"][schema["$ref"].split("/")[-1]]
        names |= set(schema.get("properties", {}))
    if isinstance(case.body, dict):  # "<name>: not a field" names a property the request made up
        names |= {str(name).lower() for name in case.body}
    return names


def quoted_values(case: Any, url: str) -> list[str]:
    """The request's values: as the case gives them, as `url` (what was sent) holds its query (a
    query's False is sent as false), and URL-decoded."""
    values = [*(case.path_parameters or {}).values(), *(case.query or {}).values()]
    values += [value for _, value in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    if isinstance(case.body, dict):
        values += [v for v in case.body.values() if isinstance(v, str)]
        values += [s for v in case.body.values() if isinstance(v, list) for s in v if isinstance(s, str)]
    return [text for v in values for text in (str(v), unquote(str(v)))]


def is_known(field: str, known: set[str]) -> bool:
    """The field is one of the request's, or a part of one (`name.[key]`, `name[0]`): split after the
    request's own name, which may hold a dot or a bracket itself."""
    field = field.lower()
    return any(field == name or field.startswith((f"{name}.", f"{name}[")) for name in known)


def names_the_field(ctx: Any, response: Any, case: Any) -> bool | None:
    status = response.status_code
    if not 400 <= status < 500:
        return None
    if status == 405:
        documented = {m.lower() for m in case.operation.schema.raw_schema["paths"][case.operation.path]}
        assert case.method.lower() not in documented, f"405 for {case.method}, which the document gives"
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"a {status} whose body is not JSON: {response.text[:200]!r}") from None
    assert isinstance(body, dict) and body.get("message"), f"a {status} without a message: {body}"
    errors = body.get("errors") or []
    known = fields_of(case)
    for error in errors:
        field = str(error.get("field") or "")
        assert field, f"an error that names no field: {error}"
        if "line" in error:
            continue  # a CSV column, with its line
        assert is_known(field, known), f"'{field}' is not a field of {case.operation.label}: {body}"
    if status in (404, 409):
        quoted = quoted_values(case, response.request.url)
        assert errors or any(f"'{v}'" in body["message"] for v in quoted), (
            f"a {status} that does not quote what it did not find: {body}"
        )
    else:
        assert errors, f"a {status} that names no field: {body}"
    return None


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_console_api_never_fails_names_the_field_and_a_refusal_changes_nothing(case):
    # A read (GET) changes nothing by construction; every other request is compared before and after.
    before = snapshot() if case.method != "GET" else None
    response = case.call(timeout=60)
    SENT.append((case.operation.label, response.status_code))
    case.validate_response(response, checks=[not_a_server_error, names_the_field])
    if before is None or response.status_code < 400:
        return
    changed = changes(before, snapshot())
    if not changed:
        return
    # Something changed while a refused request ran: a job or a push the fuzzer started earlier, or the
    # request itself. Once nothing moves, the same request again must change nothing.
    REPLAYED.append((case.operation.label, response.status_code, changed[:3]))
    before = quiet()
    again = case.call(timeout=60)
    if again.status_code >= 400:
        assert changes(before, snapshot()) == [], (
            f"refused with {again.status_code} but changed: {again.text}"
        )


def test_after_the_run_no_change_is_half_applied(stack, api, world):
    """What the fuzzer left: every job finished (none runs without its execution), every channel
    has its secret and every secret its channel, no secret value in any item, every listing whole."""
    assert SENT, "the fuzz test ran first"
    by_status = Counter(status for _, status in SENT)
    print(f"\napi fuzz: {len(SENT)} requests, seed {SEED}, by status {dict(sorted(by_status.items()))}")
    print(f"api fuzz: {len(REPLAYED)} refusals replayed once quiet: {REPLAYED}")
    print(f"api fuzz: requests by operation {dict(Counter(label for label, _ in SENT).most_common())}")
    deadline = time.monotonic() + 120
    while active(api) and time.monotonic() < deadline:  # jobs the fuzzer queued run one at a time
        time.sleep(1)
    assert active(api) == [], "jobs left queued or running"
    settled = quiet(timeout_s=120)
    channels = {c["name"] for c in api.channels()}
    prefix = os.environ["SECRETS_PREFIX"] + "/"
    credentials = {name: text for name, text in settled["secrets"].items() if name.startswith(prefix)}
    assert {name.removeprefix(prefix) for name in credentials} == channels
    secret_values = {
        value for text in credentials.values() for value in json.loads(text).values() if len(value) >= 8
    }
    token = stack.sandboxes["shopify"].credentials["token"]
    if "shop" in channels:  # a fuzzed DELETE /v1/channels/shop takes it away with its secrets
        assert token in secret_values  # (a fuzzed edit may change the rest)
    print(f"api fuzz: channels left {sorted(channels)}")
    known = secret_values | {token, WEBHOOK_SECRET}
    leaked = [key for key, item in settled["items"].items() if any(v in str(item) for v in known)]
    assert leaked == []
    for key, typed in settled["items"].items():
        if key[0].startswith("LISTING#") and key[1] == "LISTING":
            item = {name: TypeDeserializer().deserialize(value) for name, value in typed.items()}
            assert item["committed"] >= 0 and item["safety_buffer"] >= 0, item
            assert item["sku"] == key[0].removeprefix("LISTING#"), item


def active(api) -> list[str]:
    return [
        f"{j['id']} {j['kind']} {j['status']}"
        for j in api.jobs(limit=200)
        if j["status"] in ("queued", "running")
    ]


def signed(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(["shopify", "woocommerce"]),
    body=st.binary(max_size=300)
    | st.dictionaries(st.text(max_size=8), st.integers()).map(lambda d: json.dumps(d).encode()),
    signature=st.none()
    | st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60)
    | st.just("wrong-secret"),
)
def test_an_unsigned_or_badly_signed_webhook_is_401_and_changes_nothing(stack, world, kind, body, signature):
    header = "x-shopify-hmac-sha256" if kind == "shopify" else "x-wc-webhook-signature"
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers[header] = signed(body, signature) if signature == "wrong-secret" else signature
    before = quiet()
    response = httpx.post(
        f"{stack.api_url}/v1/webhooks/{kind}/shop", content=body, headers=headers, timeout=30
    )
    assert response.status_code == 401, response.text
    assert changes(before, snapshot()) == []


def test_a_field_is_known_by_its_name_with_any_part_after_it():
    """Found by the fuzzer (seed 3952070327): a made-up property whose name holds a bracket."""
    made_up = "î\x078y[\U0008ac3e\x06\x08ä"
    assert is_known(f"{made_up}.[key]", {made_up, "body"})
    assert is_known("Items[0].sku", {"items"}) and is_known("on_hand", {"on_hand"})
    assert not is_known("on_hand_x", {"on_hand"})


def test_a_query_value_is_quoted_as_it_was_sent():
    """Found by the fuzzer (seed 3952070327): ?channel=false, refused as "no channel named 'false'"."""
    case = SimpleNamespace(path_parameters={"sku": "A%2FB"}, query={"channel": False}, body=None)
    sent = "http://127.0.0.1:1/v1/history/A%2FB?channel=false"
    assert {"false", "A%2FB", "A/B"} <= set(quoted_values(case, sent))
