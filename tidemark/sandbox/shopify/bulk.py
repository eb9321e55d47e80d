"""Bulk operations: which queries Shopify accepts for one, and their JSONL output."""

from __future__ import annotations

from typing import Any, TypeAlias, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    parse,
    validate,
)

from tidemark.sandbox.shopify.cost import (
    Fragments,
    fragments_of,
    is_connection,
    node_paths,
    page_nodes,
    selected_fields,
)
from tidemark.sandbox.shopify.records import (
    MAX_BULK_CONNECTIONS,
    MAX_BULK_NESTING,
)

# ---------------------------------------------------------------------------------------------
# Bulk operations


class _InvalidBulkQuery(Exception):
    pass


def bulk_query_problem(schema: GraphQLSchema, query: str) -> str | None:
    """Why Shopify would refuse this bulk query, if it would."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return f"Invalid bulk query: {error.message}"
    errors = validate(schema, document)
    if errors:
        return f"Invalid bulk query: {errors[0].message}"
    operation = get_operation_ast(document)
    if operation is None or operation.operation is not OperationType.QUERY:
        return "Invalid bulk query: send one query operation (run mutations with bulkOperationRunMutation)"
    query_type = schema.query_type
    assert query_type is not None
    fragments = fragments_of(document)
    top = selected_fields(query_type, operation.selection_set, fragments)
    if any(field.name.value in ("node", "nodes") for field in top):
        return "Bulk queries cannot contain a top level `node` or `nodes` field."
    try:
        depths = _connection_depths(query_type, operation.selection_set, fragments, 0)
    except _InvalidBulkQuery as error:
        return str(error)
    if not depths:
        return "Bulk queries must contain at least one connection."
    if len(depths) > MAX_BULK_CONNECTIONS:
        return f"Bulk queries cannot contain more than {MAX_BULK_CONNECTIONS} connections."
    if max(depths) > MAX_BULK_NESTING:
        return (
            f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_BULK_NESTING}."
        )
    return None


def _connection_depths(
    object_type: GraphQLObjectType, selection_set: SelectionSetNode | None, fragments: Fragments, depth: int
) -> list[int]:
    """The nesting depth of each connection the selection reaches."""
    depths: list[int] = []
    for selected in selected_fields(object_type, selection_set, fragments):
        definition = object_type.fields.get(selected.name.value)
        named = get_named_type(definition.type) if definition else None
        if not isinstance(named, GraphQLObjectType):
            continue
        if not is_connection(named):
            depths += _connection_depths(named, selected.selection_set, fragments, depth)
            continue
        depths.append(depth + 1)
        node_type = get_named_type(named.fields["nodes"].type)
        if not isinstance(node_type, GraphQLObjectType):
            continue
        for node_selection, _, _ in node_paths(named, selected, fragments):
            nested = _connection_depths(node_type, node_selection, fragments, depth + 1)
            selects_id = any(
                f.name.value == "id" for f in selected_fields(node_type, node_selection, fragments)
            )
            if nested and not selects_id:
                raise _InvalidBulkQuery(
                    "The parent 'node' field for a nested connection must select the 'id' field: add id "
                    f"to the nodes of `{selected.name.value}`."
                )
            depths += nested
    return depths


def jsonl_lines(schema: GraphQLSchema, document: DocumentNode, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A bulk query's answer as Shopify writes it: each node of a connection on a line of its own, the
    nodes of a nested connection right after their parent's line with its id as `__parentId`, every
    other object inline."""
    fragments = fragments_of(document)
    operation = get_operation_ast(document)
    query_type = schema.query_type
    assert operation is not None and query_type is not None
    lines: list[dict[str, Any]] = []
    # the nodes a line's connections hold: (node type, node selection, nodes)
    Children: TypeAlias = list[tuple[GraphQLObjectType, SelectionSetNode | None, list[Any]]]

    def inline(
        object_type: GraphQLObjectType, selection_set: SelectionSetNode | None, value: Any, children: Children
    ) -> dict[str, Any]:
        line: dict[str, Any] = {}
        for selected in selected_fields(object_type, selection_set, fragments):
            key = (selected.alias or selected.name).value
            item = value.get(key)
            definition = object_type.fields.get(selected.name.value)  # None for __typename
            named = get_named_type(definition.type) if definition else None
            if not isinstance(named, GraphQLObjectType) or item is None:
                line[key] = item
            elif is_connection(named):
                node_type = cast(GraphQLObjectType, get_named_type(named.fields["nodes"].type))
                children += [
                    (node_type, node_selection, page_nodes(item, nodes_key, node_key))
                    for node_selection, nodes_key, node_key in node_paths(named, selected, fragments)
                ]
            elif isinstance(item, list):
                line[key] = [inline(named, selected.selection_set, entry, children) for entry in item]
            else:
                line[key] = inline(named, selected.selection_set, item, children)
        return line

    def write(children: Children, parent_id: str | None) -> None:
        for node_type, selection_set, nodes in children:
            for node in nodes:
                grandchildren: Children = []
                line = inline(node_type, selection_set, node, grandchildren)
                if parent_id is not None:
                    line["__parentId"] = parent_id
                lines.append(line)
                write(grandchildren, line.get("id"))

    roots: Children = []
    inline(query_type, operation.selection_set, data, roots)
    write(roots, None)
    return lines
