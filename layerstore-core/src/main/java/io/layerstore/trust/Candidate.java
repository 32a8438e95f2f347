package io.layerstore.trust;

import io.layerstore.Digest;
import io.layerstore.Reference;
import java.io.IOException;
import java.util.List;

/**
 * The image a policy is applied to: the reference it was asked by, the digest of its manifest
 * bytes, and its signatures, fetched only when a requirement asks for them.
 */
record Candidate(Reference intended, Digest manifestDigest, Supply signatures) {

  /** Where the signatures come from; each list is read once. */
  interface Supply {
    List<byte[]> simpleSignatures() throws IOException;

    List<SigstoreSignature> sigstoreSignatures() throws IOException;
  }
}
