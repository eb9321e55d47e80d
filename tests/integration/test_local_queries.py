"""Local mode reads a Query from the asked key's items only (tidemark/local/queries.py): its answers
must be those of a table walked whole, whatever writes came before: puts, updates that move an item
into, out of or across an index, deletes, batches, and transactions committed or cancelled."""

import functools

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models.table import Table

from tidemark.local import atomic, queries

pytestmark = pytest.mark.integration
REGION = "us-east-1"
PARTITIONS = ["P1", "P2", "P3"]
SORTS = ["a", "b", "c", "d"]
GROUPS = ["G1", "G2"]  # the sparse index's hash key: an item without one is not in it
OWNERS = ["O1", "O2"]  # an index without a range key


def make_table(dynamodb) -> None:
    dynamodb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "G", "GS", "O")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "BY_GROUP",
                "KeySchema": [
                    {"AttributeName": "G", "KeyType": "HASH"},
                    {"AttributeName": "GS", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "BY_OWNER",
                "KeySchema": [{"AttributeName": "O", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


keys = st.tuples(st.sampled_from(PARTITIONS), st.sampled_from(SORTS))
index_values = st.fixed_dictionaries(
    {},
    optional={"G": st.sampled_from(GROUPS), "GS": st.sampled_from(SORTS), "O": st.sampled_from(OWNERS)},
)
operations = st.one_of(
    st.tuples(st.just("put"), keys, index_values),
    st.tuples(st.just("update"), keys, index_values),
    st.tuples(st.just("remove_group"), keys, st.just({})),
    st.tuples(st.just("delete"), keys, st.just({})),
    st.tuples(st.just("transact"), keys, index_values),
    st.tuples(st.just("cancelled_transact"), keys, index_values),
)


def typed(attributes: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"S": value} for name, value in attributes.items()}


def apply(dynamodb, model: dict, operation) -> None:
    kind, (pk, sk), values = operation
    key = {"PK": pk, "SK": sk}
    if kind == "put":
        dynamodb.put_item(TableName="t", Item=typed(key | values))
        model[(pk, sk)] = key | values
    elif kind == "update" and values:
        names = {f"#{name}": name for name in values}
        dynamodb.update_item(
            TableName="t",
            Key=typed(key),
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":{name}": {"S": value} for name, value in values.items()},
        )
        model[(pk, sk)] = model.get((pk, sk), key) | values
    elif kind == "remove_group":
        dynamodb.update_item(TableName="t", Key=typed(key), UpdateExpression="REMOVE G")
        model[(pk, sk)] = {name: value for name, value in model.get((pk, sk), key).items() if name != "G"}
    elif kind == "delete":
        dynamodb.delete_item(TableName="t", Key=typed(key))
        model.pop((pk, sk), None)
    elif kind in ("transact", "cancelled_transact"):
        other = {"PK": pk, "SK": "z"}
        writes = [
            {"Put": {"TableName": "t", "Item": typed(key | values)}},
            {
                "Update": {
                    "TableName": "t",
                    "Key": typed(other),
                    "UpdateExpression": "SET O = :owner",
                    "ConditionExpression": "attribute_exists(PK)"
                    if kind == "cancelled_transact"
                    else "attribute_not_exists(X)",
                    "ExpressionAttributeValues": {":owner": {"S": OWNERS[0]}},
                }
            },
        ]
        if kind == "cancelled_transact" and (pk, "z") in model:
            return
        try:
            dynamodb.transact_write_items(TransactItems=writes)
        except dynamodb.exceptions.TransactionCanceledException:
            assert kind == "cancelled_transact"
            return
        model[(pk, sk)] = key | values
        model[(pk, "z")] = model.get((pk, "z"), other) | {"O": OWNERS[0]}


def every_page(dynamodb, **query) -> list[dict]:
    items, start = [], {}
    while True:
        answer = dynamodb.query(TableName="t", Limit=2, **query, **start)
        items += answer["Items"]
        if "LastEvaluatedKey" not in answer:
            return items
        start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}


def pairs(items: list[dict]) -> list[tuple[str, str]]:
    return [(item["PK"]["S"], item["SK"]["S"]) for item in items]


def check_every_query(dynamodb, model: dict) -> None:
    for pk in PARTITIONS:
        expected = sorted(key for key in model if key[0] == pk)
        value = {":pk": {"S": pk}}
        assert (
            pairs(every_page(dynamodb, KeyConditionExpression="PK = :pk", ExpressionAttributeValues=value))
            == expected
        )
        backwards = every_page(
            dynamodb,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=value,
            ScanIndexForward=False,
        )
        assert pairs(backwards) == expected[::-1]
    for group in GROUPS:
        members = [item for item in model.values() if item.get("G") == group and "GS" in item]
        expected = [
            (item["PK"], item["SK"]) for item in sorted(members, key=lambda i: (i["GS"], i["PK"], i["SK"]))
        ]
        found = every_page(
            dynamodb,
            IndexName="BY_GROUP",
            KeyConditionExpression="G = :g AND GS >= :from",
            ExpressionAttributeValues={":g": {"S": group}, ":from": {"S": "a"}},
        )
        assert pairs(found) == expected
        counted = dynamodb.query(
            TableName="t",
            IndexName="BY_GROUP",
            KeyConditionExpression="G = :g",
            ExpressionAttributeValues={":g": {"S": group}},
            Select="COUNT",
        )
        assert (counted["Count"], counted["ScannedCount"], "Items" in counted) == (len(expected),) * 2 + (
            False,
        )
        for condition, values, holds in (
            ("GS = :v", {":v": "b"}, lambda gs: gs == "b"),
            ("GS > :v", {":v": "b"}, lambda gs: gs > "b"),
            ("GS < :v", {":v": "c"}, lambda gs: gs < "c"),
            ("GS BETWEEN :v AND :w", {":v": "b", ":w": "c"}, lambda gs: "b" <= gs <= "c"),
            ("begins_with(GS, :v)", {":v": "c"}, lambda gs: gs.startswith("c")),
        ):
            found = every_page(
                dynamodb,
                IndexName="BY_GROUP",
                KeyConditionExpression=f"G = :g AND {condition}",
                ExpressionAttributeValues={":g": {"S": group}} | {k: {"S": v} for k, v in values.items()},
            )
            gs_of = {(m["PK"], m["SK"]): m["GS"] for m in members}
            assert pairs(found) == [key for key in expected if holds(gs_of[key])], condition
    for owner in OWNERS:
        expected = sorted((item["PK"], item["SK"]) for item in model.values() if item.get("O") == owner)
        found = every_page(
            dynamodb,
            IndexName="BY_OWNER",
            KeyConditionExpression="O = :o",
            ExpressionAttributeValues={":o": {"S": owner}},
        )
        assert sorted(pairs(found)) == expected
        counted = dynamodb.query(
            TableName="t",
            IndexName="BY_OWNER",
            KeyConditionExpression="O = :o",
            ExpressionAttributeValues={":o": {"S": owner}},
            Select="COUNT",
        )
        assert counted["Count"] == len(expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(operations, max_size=12), after=st.lists(operations, max_size=12))
def test_a_query_answers_what_a_walk_of_the_whole_table_answers(before, after):
    with mock_aws():
        queries.install()
        atomic.make_atomic()
        try:
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            make_table(dynamodb)
            model: dict = {}
            for operation in before:
                apply(dynamodb, model, operation)
            check_every_query(dynamodb, model)  # the index maps are built here, then kept up
            for operation in after:
                apply(dynamodb, model, operation)
            check_every_query(dynamodb, model)
        finally:
            atomic.undo()
            queries.undo()


def count_pages(dynamodb, group: str) -> list[int]:
    counts, start = [], {}
    while True:
        answer = dynamodb.query(
            TableName="t",
            IndexName="BY_GROUP",
            KeyConditionExpression="G = :g",
            ExpressionAttributeValues={":g": {"S": group}},
            Select="COUNT",
            **start,
        )
        counts.append(answer["Count"])
        if "LastEvaluatedKey" not in answer:
            return counts
        start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}


def test_a_plain_count_is_the_maps_and_one_past_a_page_is_motos_pages(monkeypatch):
    """A COUNT of a partition that fits a page is answered without moto's walk; one past moto's 1 MB
    page is moto's, page by page, and both count what is there."""
    walks = []
    moto_query = Table.query

    @functools.wraps(moto_query)
    def walk(*args, **kwargs):
        walks.append(1)
        return moto_query(*args, **kwargs)

    monkeypatch.setattr(Table, "query", walk)
    with mock_aws():
        queries.install()
        try:
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            make_table(dynamodb)
            for n in range(1_200):  # 1,000-byte sort keys: G1's keys pass 1 MB, G2's 10 do not
                group = "G1" if n >= 10 else "G2"
                item = {"PK": f"P{n}", "SK": "s" * 1_000, "G": group, "GS": "a"}
                dynamodb.put_item(TableName="t", Item=typed(item))
            dynamodb.put_item(TableName="t", Item=typed({"PK": "X", "SK": "x", "G": "G2"}))  # no GS
            assert count_pages(dynamodb, "G2") == [10] and walks == []
            pages = count_pages(dynamodb, "G1")
            assert len(pages) > 1 and sum(pages) == 1_190 and len(walks) == len(pages)
        finally:
            queries.undo()
