package io.layerstore.trust;

import io.layerstore.LayerStoreException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;

/**
 * The OpenPGP public keys a {@code signedBy} requirement trusts: from {@code gpg --export} output,
 * binary or armored, or an old-style keyring ({@code pubring.gpg}), which is the same packets. A
 * signature by a subkey counts as a signature by its primary key, whose fingerprint is what a
 * {@link io.layerstore.Verification} reports.
 */
final class PgpKeyring {

  private final List<PGPPublicKeyRing> rings;

  private PgpKeyring(List<PGPPublicKeyRing> rings) {
    this.rings = rings;
  }

  static PgpKeyring of(List<PgpKeyring> parts) {
    List<PGPPublicKeyRing> all = new ArrayList<>();
    parts.forEach(p -> all.addAll(p.rings));
    return new PgpKeyring(Collections.unmodifiableList(all));
  }

  /**
   * Reads every public key ring of {@code data}.
   *
   * @param what where the bytes came from, for messages ("keyPath /etc/pki/key.gpg")
   * @throws LayerStoreException when the bytes are not public keys
   */
  static PgpKeyring parse(byte[] data, String what) throws LayerStoreException {
    // gpg ≥ 2.1 keeps its keyring as a keybox (pubring.kbx): its first blob's magic is at offset 8.
    if (data.length >= 12
        && data[8] == 'K'
        && data[9] == 'B'
        && data[10] == 'X'
        && data[11] == 'f') {
      throw new LayerStoreException(
          what
              + " is a GnuPG keybox (pubring.kbx), which is not supported: export the keys with"
              + " gpg --export KEY > key.gpg");
    }
    List<PGPPublicKeyRing> rings = new ArrayList<>();
    try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(data))) {
      BcPGPObjectFactory factory = new BcPGPObjectFactory(in);
      Object o;
      while ((o = factory.nextObject()) != null) {
        if (o instanceof PGPPublicKeyRing ring) {
          rings.add(ring);
        } else if (!(o instanceof PGPMarker)) {
          throw new LayerStoreException(
              what
                  + " holds "
                  + o.getClass().getSimpleName()
                  + " where public keys were expected (gpg --export writes them)");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof LayerStoreException l) {
        throw l;
      }
      throw new LayerStoreException(what + " is not OpenPGP public key data: " + e.getMessage(), e);
    }
    if (rings.isEmpty()) {
      throw new LayerStoreException(what + " holds no OpenPGP public key");
    }
    return new PgpKeyring(List.copyOf(rings));
  }

  /** The ring holding the key (primary or subkey) with this id, or null. */
  PGPPublicKeyRing ringOf(long keyId) {
    for (PGPPublicKeyRing ring : rings) {
      if (ring.getPublicKey(keyId) != null) {
        return ring;
      }
    }
    return null;
  }

  static String fingerprint(PGPPublicKey key) {
    return HexFormat.of().formatHex(key.getFingerprint()).toUpperCase(Locale.ROOT);
  }

  static String keyId(long id) {
    return String.format(Locale.ROOT, "%016X", id);
  }

  /** PGPException has no useful message of its own for some failures; name its cause too. */
  static String describe(Exception e) {
    String m = e.getMessage();
    if (e instanceof PGPException p && p.getUnderlyingException() != null) {
      m = m + ": " + p.getUnderlyingException().getMessage();
    }
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
