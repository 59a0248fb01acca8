# One image for every Roster service; the command picks the service: `roster serve contacts`.
# Built in stages: the console's web application is built from its lock file (npm ci); the
# Python dependencies and the project are installed from their lock file (every hash checked)
# into a virtual environment. Only the virtual environment and the built application (static
# files, no Node) are copied into the runtime image.
# The runtime runs as a non-root user and works with a read-only root file system: it writes
# only to /tmp (an emptyDir or tmpfs) and to the upload directory (a volume).
ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-slim

# The console's single-page application (services/console/web) -> /web/dist.
FROM ${NODE_IMAGE} AS console
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /web
# The lock file first (a layer reused until dependencies change).
COPY services/console/web/package.json services/console/web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY services/console/web/ ./
RUN npm run build && test -f dist/index.html

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/roster
ENV PATH=/opt/roster/bin:$PATH
WORKDIR /src
# The runtime lock first (a layer reused until dependencies change).
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps --no-build-isolation . && python -m compileall -q /opt/roster

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/roster-platform/roster
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Roster" \
      org.opencontainers.image.description="Event-driven contact management for messaging programmes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
# Every service listens on ROSTER_PORT inside a container (the orchestrator maps it).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/roster/bin:$PATH \
    ROSTER_LOG_JSON=true ROSTER_HOST=0.0.0.0 ROSTER_PORT=8000 \
    ROSTER_IMPORT_DIR=/var/lib/roster/imports \
    ROSTER_CONSOLE_ASSETS_DIR=/opt/roster/console
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin roster \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/roster/imports
COPY --from=build /opt/roster /opt/roster
# The package carries no built files: the console serves them from ROSTER_CONSOLE_ASSETS_DIR.
COPY --from=console /web/dist /opt/roster/console
USER 10001:10001
EXPOSE 8000
# Liveness as the orchestrator sees it (`/healthz`), whichever service the container runs.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ROSTER_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["roster"]
CMD ["serve", "contacts"]
