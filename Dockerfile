# wirefeed worker image: `docker compose up --scale worker=N` runs N of these.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WIREFEED_DATA_DIR=/var/lib/wirefeed \
    WIREFEED_ENRICH_CACHE_DIR=/opt/wirefeed/cache

WORKDIR /app
# dependencies first (exact pins), so code changes do not reinstall them
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY schemas ./schemas
COPY samples ./samples
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . \
    && useradd --system --home /var/lib/wirefeed wirefeed \
    && mkdir -p /var/lib/wirefeed && chown wirefeed /var/lib/wirefeed
# build the place gazetteer once, into the image: workers then start in seconds
RUN python -c "from pipeline.stages.flow import default_stages; default_stages().warm_up()"
USER wirefeed

ENTRYPOINT ["wirefeed"]
CMD ["worker"]
