package io.layerstore.registry;

import java.net.URI;
import java.util.List;

/**
 * A registry server as pinged: where its API is and how it asked to be authenticated.
 *
 * @param name the registry's name for messages and credentials: {@code host[:port]} as the user
 *     wrote it, {@code docker.io} for Docker Hub, a mirror's {@code host[:port]}
 * @param base the scheme and authority requests go to ({@code https://registry-1.docker.io}), with
 *     a mirror's path prefix if it has one, without a trailing slash
 * @param challenges the {@code WWW-Authenticate} challenges of its {@code /v2/}; empty when it
 *     answered 200 without credentials
 */
record Endpoint(String name, URI base, List<Challenge> challenges) {

  Endpoint {
    challenges = List.copyOf(challenges);
  }

  /** {@code base} + {@code path} (which starts with {@code /v2/}) + an optional query. */
  URI resolve(String path) {
    return URI.create(base + path);
  }
}
