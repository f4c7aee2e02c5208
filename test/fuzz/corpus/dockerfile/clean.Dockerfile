# syntax=docker/dockerfile:1
ARG DEBIAN=debian:12-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
FROM ${DEBIAN} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN <<EOF
set -euo pipefail
curl -fsSLo /tmp/tool.tgz https://example.com/tool.tgz
echo "0123456789abcdef  /tmp/tool.tgz" | sha256sum -c -
tar -xzf /tmp/tool.tgz -C /usr/local/bin
EOF

FROM ${DEBIAN}
COPY --from=build /usr/local/bin/tool /usr/local/bin/tool
RUN useradd --system --uid 10001 app
WORKDIR /app
USER 10001
HEALTHCHECK CMD ["/usr/local/bin/tool", "--health"]
ENTRYPOINT ["/usr/local/bin/tool"]
