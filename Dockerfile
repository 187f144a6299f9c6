# The Galaxy reference engine image: one static binary, nothing else.
#
# No base image can be pulled on the build machines, so the binary is built on the
# host first and copied in (there is no golang builder stage):
#
#   GOTOOLCHAIN=go1.27.3 CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/galaxy-engine ./cmd/galaxy-engine
#   docker build -t galaxy-engine:<version> .
#
# (`make image ENGINE_VERSION=<version>` does both.) The engine runs as nobody (65534), the
# owner the Nomad mkdir plugin gives each game's volume, reads GAME_STATE_PATH, and
# must listen on 0.0.0.0 inside the container: the Nomad job sets
# GALAXY_ENGINE_ADDR=0.0.0.0:${NOMAD_PORT_http}.
FROM scratch
COPY bin/galaxy-engine /galaxy-engine
USER 65534:65534
ENV GAME_STATE_PATH=/var/lib/galaxy-game
EXPOSE 8080
ENTRYPOINT ["/galaxy-engine"]
