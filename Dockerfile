# mlgraph's Airflow image: Airflow 3.3 + the pipeline from the locked environment (uv.lock).
FROM python:3.11-slim-bookworm

ENV UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/mlgraph/.venv \
    PATH=/opt/mlgraph/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow

RUN pip install --no-cache-dir "uv==0.13.9" \
    && useradd --uid 50000 --gid 0 --create-home --home-dir /home/airflow airflow \
    && mkdir -p /opt/airflow /data/mlgraph \
    && chown -R 50000:0 /opt/airflow /data

WORKDIR /opt/mlgraph
# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra distributed --no-install-project
COPY schemas ./schemas
COPY pipeline ./pipeline
COPY warehouse ./warehouse
COPY dags ./dags
COPY docs ./docs
RUN uv sync --frozen --no-dev --extra distributed

USER 50000
CMD ["airflow", "version"]
