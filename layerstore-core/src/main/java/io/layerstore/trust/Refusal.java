package io.layerstore.trust;

import io.layerstore.SignatureRefusedException.Reason;

/**
 * Why a requirement, or one signature it tried, was not satisfied, before it is known which
 * requirement of which scope asked: {@link TrustChecker} turns it into a {@link
 * io.layerstore.SignatureRefusedException} naming both.
 */
final class Refusal extends Exception {
  private static final long serialVersionUID = 1L;

  private final Reason reason;

  Refusal(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  Refusal(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  Reason reason() {
    return reason;
  }
}
