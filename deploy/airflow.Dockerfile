# Airflow 3 with the aoe worker on PATH, for the DAG factory's BashOperator
# tasks (`aoe worker run-task`). The `aoe` build context is the services'
# image (compose: additional_contexts aoe: service:gateway; by hand:
#   docker build -f deploy/airflow.Dockerfile --build-context aoe=docker-image://aoe:dev -t aoe-airflow:dev .)
FROM apache/airflow:3.0.6
USER root
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=aoe /app /opt/aoe
RUN printf '#!/bin/sh\nexec node /opt/aoe/services/cli/bin/aoe.js "$@"\n' > /usr/local/bin/aoe && chmod +x /usr/local/bin/aoe
USER airflow
