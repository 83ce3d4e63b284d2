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
ENV BIND=0.0.0.0:3000
EXPOSE 3000
HEALTHCHECK CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000"]
STOPSIGNAL SIGTERM
CMD ["buergerportal", "serve"]
