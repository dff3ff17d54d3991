"""Domain stores: one module per area of Cal's data (table names, record builders, lookups, mutations).

Stores import only ``state``, ``errors``, ``clock``, pure helpers and other stores (never routes,
seeds or starlette), so seeds, domain modules and routes can all build on them.
"""
