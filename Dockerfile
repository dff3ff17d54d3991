FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 calmcp
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY tool_specs ./tool_specs
RUN pip install --no-cache-dir . && rm -rf /app/server /app/tool_specs

USER calmcp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# Refuses to start without CAL_MCP_AUTH_TOKEN (or an explicit --allow-unauthenticated) because it binds 0.0.0.0.
ENTRYPOINT ["cal-mcp"]
CMD ["--transport", "http", "--host", "0.0.0.0", "--port", "8000"]
