package io.layerstore.trust;

/** Bounds on hostile signature input, as containers/image sets them. */
final class Limits {
  /** containers/image's {@code iolimits.MaxSignatureBodySize}: 4 MiB per signature. */
  static final int MAX_SIGNATURE_BYTES = 4 << 20;

  /** Stops a lookaside or an attachment from making us read signatures without end. */
  static final int MAX_SIGNATURES = 128;

  /** A policy file or a registries.d file larger than this is not a configuration. */
  static final int MAX_CONFIG_BYTES = 4 << 20;

  private Limits() {}
}
