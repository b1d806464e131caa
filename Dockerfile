# dicetm in a slim image: non-root, Graphviz for the SVG diagrams, ssh-keygen for signatures.
#   docker build -t dicetm .
#   docker run --rm -v "$PWD:/work" dicetm check threat-model
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && pip download --no-cache-dir --dest /wheels "$(ls /wheels/dicetm-*.whl)"

FROM python:3.11-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz openssh-client git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-index /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels \
    && groupadd --gid 10001 dicetm \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin dicetm
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["dicetm"]
CMD ["--help"]
