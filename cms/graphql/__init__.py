"""The GraphQL layer: types that resolve from rows, plain resolver functions, the schema."""
