package io.layerstore.registry;

/**
 * The client's fixed choices, gathered so tests can shrink them: where Docker Hub's API is, and the
 * sizes that decide how a blob is uploaded. Production code uses {@link #DEFAULT} alone.
 *
 * @param dockerHubHost the {@code host[:port]} serving {@code docker.io}
 * @param monolithicMax blobs up to this size go up in one {@code PUT}
 * @param chunk the {@code PATCH} size for larger blobs, unless the registry asks for more
 */
record Tuning(String dockerHubHost, long monolithicMax, long chunk) {

  /** Docker Hub's API host; 8 MiB monolithic uploads; 64 MiB chunks. */
  static final Tuning DEFAULT = new Tuning("registry-1.docker.io", 8L << 20, 64L << 20);
}
