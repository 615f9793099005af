# Pulse in one image: the pulse binary, which serves the API and runs the
# built-in connectors itself. docker-compose.yml runs it beside PostgreSQL.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/pulse ./cmd/pulse

FROM debian:bookworm-slim
# curl for the health check; ca-certificates for the vendors' APIs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/pulse --create-home pulse
COPY --from=build /out/pulse /usr/local/bin/pulse
USER pulse
# The secret key (unless PULSE_SECRET_KEY is set) and the demo's admin key
# are kept here: mount a volume on it.
ENV PULSE_DATA_DIR=/var/lib/pulse
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["pulse"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
