# syntax=docker/dockerfile:1
# Worker and starter image for docker-compose.yml (local development).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# Static binaries with the timezone database built in (BACKORDER_TIMEZONE).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -tags timetzdata -o /out/worker ./worker && \
    CGO_ENABLED=0 go build -trimpath -tags timetzdata -o /out/starter ./starter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/starter /app/
USER nonroot:nonroot
ENTRYPOINT ["/app/worker"]
