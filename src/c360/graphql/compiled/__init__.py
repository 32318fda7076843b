"""Valid queries answered without graphql-core's per-field machinery.

``plan`` turns a document into a cached plan once; ``execute`` walks it, a level of
objects at a time, calling the schema's own resolvers and serialisers; ``serve`` takes
a POSTed query down this path when it can and hands everything else (errors above
all) to graphql-core.
"""
