/**
 * Signed images, as containers/image (podman, skopeo) and cosign sign and check them: the
 * simple-signing and sigstore payloads, OpenPGP signed messages (BouncyCastle bcpg), sigstore
 * signatures (ECDSA P-256, Ed25519, RSA) and cosign's encrypted private keys,
 * containers-policy.json and registries.d, and the lookaside where simple signatures are kept.
 *
 * <p>Not exported. Its callers are the store's pull and push and the facade's {@code verify}: they
 * use {@link io.layerstore.trust.TrustChecker} to apply a policy and {@link
 * io.layerstore.trust.ImageSigner} to sign; everything else is package-private. Signature bytes are
 * hostile input: every reader here is bounded in size and count, refuses what it does not
 * understand with a {@link io.layerstore.SignatureRefusedException} naming the reason, and writes
 * nothing.
 */
package io.layerstore.trust;
