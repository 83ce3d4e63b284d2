# The same binary and data as `cargo run -p buergerportal -- serve`.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p buergerportal

FROM debian:bookworm-slim
RUN useradd --system --home /srv/buergerportal buergerportal
WORKDIR /srv/buergerportal
COPY --from=build /src/target/release/buergerportal /usr/local/bin/buergerportal
COPY tenants ./tenants
COPY catalogue ./catalogue
COPY assets ./assets
RUN mkdir data && chown buergerportal data
USER buergerportal
# The public source data is not in the image: mount it at /srv/sources
# (docker run -v …/shared/data/raw:/srv/sources:ro). It is read only when the
# database holds no catalogue yet, and by `buergerportal import`.
ENV BIND=0.0.0.0:3000 SOURCES_DIR=/srv/sources
EXPOSE 3000
HEALTHCHECK CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000"]
STOPSIGNAL SIGTERM
CMD ["buergerportal", "serve"]
