package io.layerstore.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Credentials for one registry, as docker keeps them: a user name and password, or an identity
 * token (a refresh token from an OAuth login, which docker's helpers return with the user name
 * {@code <token>}).
 *
 * @param username the user name, or {@code null} with an identity token alone
 * @param password the password, or {@code null} with an identity token
 * @param identityToken the identity token, or {@code null}
 */
record AuthConfig(String username, String password, String identityToken) {

  /** The user name docker's credential helpers give an identity token. */
  static final String TOKEN_USERNAME = "<token>";

  /** The value of a {@code Basic} {@code Authorization} header. */
  String basic() {
    String pair = (username == null ? "" : username) + ":" + (password == null ? "" : password);
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  boolean hasPassword() {
    return username != null && password != null;
  }

  @Override
  public String toString() {
    // Never the secrets: this may end up in a log line.
    return "AuthConfig[username=" + username + "]";
  }
}
