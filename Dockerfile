# syntax=docker/dockerfile:1.7
# Every leadflow image from one file: the four services and the GHL simulator.
# Build from the repository root, naming the image's service:
#   docker build --build-arg SERVICE=router -t leadflow/router .
# SERVICE is one of ingest, router, onboarding, analytics, ghl-simulator (tests/unit/deploy checks
# that this list, the workspace and the compose/k8s image names agree).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
# uv at the version that writes uv.lock (lock revision 5 needs a recent uv)
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE=router
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# SERVICE → workspace package, source directory and HTTP port, written once for later steps.
RUN case "${SERVICE}" in \
      ingest) echo "leadflow-ingest services/ingest 8001" ;; \
      router) echo "leadflow-router services/router 8002" ;; \
      onboarding) echo "leadflow-onboarding services/onboarding 8003" ;; \
      analytics) echo "leadflow-analytics services/analytics 8004" ;; \
      ghl-simulator) echo "ghl-simulator tools/ghl_simulator 8010" ;; \
      *) echo "unknown SERVICE=${SERVICE}" >&2; exit 1 ;; \
    esac > /app/.image
# Dependencies first (cached until the lockfile changes): uv needs every workspace member's
# pyproject.toml to read the workspace, but only this package's dependencies are installed.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY tools/devstack/pyproject.toml tools/devstack/
COPY tools/ghl_simulator/pyproject.toml tools/ghl_simulator/
COPY tools/system/pyproject.toml tools/system/
COPY services/ingest/pyproject.toml services/ingest/
COPY services/router/pyproject.toml services/router/
COPY services/onboarding/pyproject.toml services/onboarding/
COPY services/analytics/pyproject.toml services/analytics/
RUN --mount=type=cache,target=/root/.cache/uv \
    read -r package _ _ < /app/.image \
    && uv sync --frozen --no-dev --no-install-workspace --package "${package}"
# Then the code: the shared library and the deployable packages (their migrations/ and config/
# included); only SERVICE's package is installed and copied into the runtime image.
COPY libs/common libs/common
COPY services services
COPY tools/ghl_simulator tools/ghl_simulator
RUN --mount=type=cache,target=/root/.cache/uv \
    read -r package directory _ < /app/.image \
    && uv sync --frozen --no-dev --package "${package}" \
    && mkdir -p "/out/app/$(dirname "${directory}")" \
    && cp -a /app/.venv /app/libs /app/.image /out/app/ \
    && cp -a "/app/${directory}" "/out/app/${directory}"

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE=router
LABEL org.opencontainers.image.source="leadflow" \
      org.opencontainers.image.title="leadflow-${SERVICE}"
RUN groupadd --system --gid 10001 leadflow \
    && useradd --system --uid 10001 --gid leadflow --no-create-home --shell /usr/sbin/nologin leadflow
WORKDIR /app
# Workspace packages are editable installs: the sources keep the paths the virtualenv points at.
COPY --from=build --chown=root:root /out/app /app
RUN ln -s "/app/.venv/bin/${SERVICE}" /usr/local/bin/service
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
# No EXPOSE: the port is the service's own setting (<PREFIX>_HTTP_PORT; 8001-8004, simulator 8010),
# published by compose and the Kubernetes Services.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; port = open('/app/.image').read().split()[2]; urllib.request.urlopen('http://127.0.0.1:' + port + '/healthz', timeout=2)"]
ENTRYPOINT ["service"]
CMD ["serve"]
