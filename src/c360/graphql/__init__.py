"""The GraphQL API: the only package that imports strawberry.

``schema`` is the schema; ``create_graphql_app`` the ASGI app served at ``/graphql``.
"""
