# cal-mcp (distribution calcom-mcp-server) serving Streamable HTTP + SSE on 0.0.0.0:$CAL_MCP_PORT.
#
#   docker build -t cal-mcp .
#   docker run -p 8000:8000 -e CAL_API_KEY=... -e CAL_MCP_AUTH_TOKEN=... cal-mcp
#   docker run -p 8000:8000 cal-mcp --sandbox --allow-unauthenticated      # fake data, no Cal.com account
#
# Arguments given to `docker run` are added to `cal-mcp` (ENTRYPOINT), and the transport, host and port come
# from the environment (CAL_MCP_TRANSPORT/HOST/PORT below), so `--sandbox` alone still serves HTTP.
# The base image is pinned by version (Python 3.11, as tested; Debian bookworm). To pin it by digest too, resolve
# it where the registry is reachable (docker buildx imagetools inspect python:3.11.14-slim-bookworm) and append
# @sha256:<digest> to both FROM lines.

# -- build stage: the wheel, built with a pinned backend ---------------------------------------------------------
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements-build.lock ./
RUN pip install --no-deps -r requirements-build.lock
COPY pyproject.toml README.md ./
COPY server ./server
COPY tool_specs ./tool_specs
RUN pip wheel --no-deps --no-build-isolation -w /wheels .

# -- runtime ---------------------------------------------------------------------------------------------------
FROM python:3.11.14-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CAL_MCP_TRANSPORT=http CAL_MCP_HOST=0.0.0.0 CAL_MCP_PORT=8000
RUN useradd --create-home --uid 10001 calmcp
# Dependencies first, in their own layer, exactly as locked: editing the server's source does not reinstall them.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-deps -r /tmp/requirements.lock && rm /tmp/requirements.lock
# Then the server itself (its dependencies are all in the layer above).
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels

USER calmcp
WORKDIR /home/calmcp
EXPOSE 8000
# The port the server listens on is CAL_MCP_PORT: change it with -e CAL_MCP_PORT=..., and the check follows.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = f'http://127.0.0.1:{os.environ[\"CAL_MCP_PORT\"]}/healthz'; sys.exit(urllib.request.urlopen(url, timeout=2).status != 200)"]
# Refuses to start without CAL_MCP_AUTH_TOKEN (or an explicit --allow-unauthenticated) because it binds 0.0.0.0.
ENTRYPOINT ["cal-mcp"]
CMD []
