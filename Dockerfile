# One image recipe for the five services. All five binaries are compiled in one
# stage, before ARG SERVICE, so five images cost one compile and five small copies:
#
#   docker build --build-arg SERVICE=order -t orderflow/order .
#
# GO_IMAGE and RUNTIME_IMAGE name public images; point them elsewhere with --build-arg (compose
# passes the variables of the same name). No RUN --mount: the classic builder works too, and module
# downloads are cached in their own layer instead.
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# The module files only (pkg's and every service's go.mod/go.sum, whichever services exist): the
# download layer below stays cached until one of them changes.
FROM ${GO_IMAGE} AS modules
WORKDIR /src
COPY pkg/ pkg/
COPY services/ services/
RUN find . -type f ! -name go.mod ! -name go.sum -delete && find . -depth -type d -empty -delete

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Each service builds as its own module with its go.mod and go.sum (the replace of pkg points at
# ../../pkg), exactly like a GOWORK=off build: the workspace's other modules (e2e, deploy) and
# their dependencies never enter the image build. `go mod download` fetches what each service
# module requires, not the whole workspace's module graph.
ENV GOWORK=off CGO_ENABLED=0 GOFLAGS=-trimpath
COPY --from=modules /src/ ./
RUN for svc in gateway order payment notification analytics; do \
        (cd "services/$svc" && go mod download) || exit 1; \
    done
COPY pkg/ pkg/
COPY services/ services/
# The compile cache is dropped from the layer: without RUN --mount it never serves another
# build, and the layer stays small.
RUN for svc in gateway order payment notification analytics; do \
        (cd "services/$svc" && go build -ldflags "-s -w" -o "/out/$svc" .) || exit 1; \
    done \
    && go clean -cache

FROM ${RUNTIME_IMAGE}
ARG SERVICE
COPY --from=build /out/${SERVICE} /app
USER 65532:65532
ENTRYPOINT ["/app"]
