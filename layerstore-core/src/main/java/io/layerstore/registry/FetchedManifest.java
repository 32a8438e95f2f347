package io.layerstore.registry;

import io.layerstore.Digest;

/**
 * A manifest or index as a registry served it, already checked: its bytes hash to {@code digest}
 * (the one asked for, when fetched by digest, and the registry's {@code Docker-Content-Digest}),
 * and {@code mediaType} is one this client accepts.
 *
 * @param digest the sha256 of {@code raw}
 * @param mediaType the OCI or Docker schema 2 media type of the document
 * @param raw the document's bytes, exactly as served
 */
public record FetchedManifest(Digest digest, String mediaType, byte[] raw) {}
