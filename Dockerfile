# One image for every Roster service; the command picks the service: `roster serve contacts`.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ROSTER_LOG_JSON=true ROSTER_HOST=0.0.0.0
WORKDIR /app
# The runtime lock first (a layer reused until dependencies change), every hash checked.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 roster
USER roster
ENTRYPOINT ["roster"]
CMD ["serve", "contacts"]
