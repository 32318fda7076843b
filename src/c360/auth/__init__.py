"""Who may ask what: principals, roles and scopes, tokens and JWTs.

This package knows nothing of GraphQL. The GraphQL layer declares which scope each
field needs (``c360.graphql.permissions``) and asks the request's ``Principal``.
"""
