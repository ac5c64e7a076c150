"""The GraphQL API at ``/graphql``: the published metamist schema's types, fields and arguments."""
