"""Remote multi-user mode (``--auth oauth``): cal-mcp as OAuth 2.1 authorization server and protected resource.

One job per module: ``settings`` (environment), ``crypto`` (AES-GCM at rest, token hashes), ``store`` (the storage
interface and its records) with ``store_sql`` (SQLite and PostgreSQL), ``locks`` (single-flight per key),
``scopes`` (read-only vs full), ``clients`` (client ID metadata documents, registered clients, redirect URIs),
``provider`` (the SDK's authorization-server provider), ``upstream`` (Cal.com: OAuth code exchange and refresh,
API-key check), ``pages`` + ``signin`` (the HTML a person sees), ``caller`` (each call's Cal credential) and
``wiring`` (routes and middleware for the HTTP app).
"""
