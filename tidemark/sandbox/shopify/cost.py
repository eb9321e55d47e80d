"""Shopify's calculated query cost, requested and actual, and the input array limit."""

from __future__ import annotations

from typing import Any, TypeAlias, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from tidemark.sandbox.shopify.records import (
    MAX_INPUT_ARRAY,
    MUTATION_COST,
)

# ---------------------------------------------------------------------------------------------
# Calculated query cost


class InputArrayTooLarge(Exception):
    def __init__(self, path: list[str], size: int) -> None:
        super().__init__(path, size)
        self.path = path
        self.size = size

    def formatted(self) -> dict[str, Any]:
        return {
            "message": (
                f"The input array size of {self.size} is greater than the maximum allowed of "
                f"{MAX_INPUT_ARRAY}."
            ),
            "path": self.path,
            "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
        }


_REQUESTED = object()  # stands for "no data yet": cost the query as requested


class QueryCost:
    """Shopify's calculated cost: scalars and enums 0, objects 1, a connection 2 plus its page
    size times the cost of one node, every mutation field 10. `requested` reads the query;
    `actual` reads the answer too, so that a short page is charged for what it returned."""

    def __init__(self, schema: GraphQLSchema, fragments: Fragments, variables: VariableValues) -> None:
        self._schema = schema
        self._variables = variables
        self._fragments = fragments

    def requested(self, operation: OperationDefinitionNode) -> int:
        return self._operation_cost(operation, _REQUESTED)

    def actual(self, operation: OperationDefinitionNode, data: dict[str, Any]) -> int:
        return self._operation_cost(operation, data)

    def _operation_cost(self, operation: OperationDefinitionNode, data: Any) -> int:
        if operation.operation == OperationType.MUTATION:
            mutation_type = self._schema.mutation_type
            assert mutation_type is not None
            fields = self._fields(mutation_type, operation.selection_set)
            for field in fields:
                self._arguments(mutation_type, field)  # checks the input limits
            return MUTATION_COST * len(fields)
        query_type = self._schema.query_type
        assert query_type is not None
        return self._selection_cost(query_type, operation.selection_set, data)

    def _selection_cost(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, data: Any
    ) -> int:
        """An interface costs the most expensive of the types it may turn out to be."""
        if isinstance(parent, GraphQLObjectType):
            candidates = [parent]
        elif is_abstract_type(parent):
            typename = data.get("__typename") if isinstance(data, dict) else None
            possible = self._schema.get_possible_types(parent)
            candidates = [t for t in possible if typename in (None, t.name)]
        else:
            return 0
        return max(
            (
                sum(
                    self._field_cost(object_type, field, data)
                    for field in self._fields(object_type, selection_set)
                )
                for object_type in candidates
            ),
            default=0,
        )

    def _field_cost(self, parent: GraphQLObjectType, field: FieldNode, data: Any) -> int:
        definition = parent.fields.get(field.name.value)  # None for __typename
        if definition is None:
            return 0
        arguments = self._arguments(parent, field)
        named = get_named_type(definition.type)
        value = data.get((field.alias or field.name).value) if isinstance(data, dict) else data
        if is_leaf_type(named) or value is None:
            return 0
        if is_connection(named):
            return self._connection_cost(cast(GraphQLObjectType, named), field, arguments, value)
        if not isinstance(get_nullable_type(definition.type), GraphQLList):
            return 1 + self._selection_cost(named, field.selection_set, value)
        if value is _REQUESTED:
            # sized by the list its arguments name (nodes(ids:), quantities(names:)), else 1
            size = next((len(v) for v in arguments.values() if isinstance(v, list)), 1)
            return size * (1 + self._selection_cost(named, field.selection_set, _REQUESTED))
        return sum(1 + self._selection_cost(named, field.selection_set, e) for e in value if e is not None)

    def _connection_cost(
        self, connection: GraphQLObjectType, field: FieldNode, arguments: dict[str, Any], value: Any
    ) -> int:
        node_type = get_named_type(connection.fields["nodes"].type)
        selections = node_paths(connection, field, self._fragments)
        if value is _REQUESTED:
            size = arguments.get("first") or arguments.get("last") or 0
            per_node = max(
                (1 + self._selection_cost(node_type, s, _REQUESTED) for s, _, _ in selections), default=0
            )
            return 2 + size * per_node
        return 2 + max(
            (
                sum(1 + self._selection_cost(node_type, s, node) for node in page_nodes(value, key, node_key))
                for s, key, node_key in selections
            ),
            default=0,
        )

    def _fields(
        self, object_type: GraphQLObjectType, selection_set: SelectionSetNode | None
    ) -> list[FieldNode]:
        return selected_fields(object_type, selection_set, self._fragments)

    def _arguments(self, parent: GraphQLObjectType, field: FieldNode) -> dict[str, Any]:
        arguments = get_argument_values(parent.fields[field.name.value], field, self._variables)
        for name, value in arguments.items():
            _check_input_arrays(value, [field.name.value, name])
        return arguments


# ---------------------------------------------------------------------------------------------
# Reading a query's selections


Fragments: TypeAlias = dict[str, FragmentDefinitionNode]


def fragments_of(document: DocumentNode) -> Fragments:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def selected_fields(
    object_type: GraphQLObjectType, selection_set: SelectionSetNode | None, fragments: Fragments
) -> list[FieldNode]:
    """The fields a selection asks of one concrete type, fragments flattened."""
    fields: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is None or _applies(condition.name.value, object_type):
                fields += selected_fields(object_type, selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _applies(fragment.type_condition.name.value, object_type):
                fields += selected_fields(object_type, fragment.selection_set, fragments)
    return fields


def _applies(type_condition: str, object_type: GraphQLObjectType) -> bool:
    return type_condition == object_type.name or any(i.name == type_condition for i in object_type.interfaces)


def is_connection(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")


def node_paths(
    connection: GraphQLObjectType, field: FieldNode, fragments: Fragments
) -> list[tuple[SelectionSetNode | None, str, str | None]]:
    """Each way a connection field reaches its nodes: (node selection, nodes key, node key in an edge)."""
    paths: list[tuple[SelectionSetNode | None, str, str | None]] = []
    for child in selected_fields(connection, field.selection_set, fragments):
        key = (child.alias or child.name).value
        if child.name.value == "nodes":
            paths.append((child.selection_set, key, None))
        elif child.name.value == "edges":
            edge_type = cast(GraphQLObjectType, get_named_type(connection.fields["edges"].type))
            paths += [
                (edge_field.selection_set, key, (edge_field.alias or edge_field.name).value)
                for edge_field in selected_fields(edge_type, child.selection_set, fragments)
                if edge_field.name.value == "node"
            ]
    return paths


def page_nodes(page: dict[str, Any], key: str, node_key: str | None) -> list[Any]:
    entries = page.get(key) or []
    return list(entries) if node_key is None else [edge[node_key] for edge in entries]


def _check_input_arrays(value: Any, path: list[str]) -> None:
    if isinstance(value, list):
        if len(value) > MAX_INPUT_ARRAY:
            raise InputArrayTooLarge(path, len(value))
        for element in value:
            _check_input_arrays(element, path)
    elif isinstance(value, dict):
        for key, element in value.items():
            _check_input_arrays(element, [*path, key])
