"""cms: a headless content service with a GraphQL API."""
