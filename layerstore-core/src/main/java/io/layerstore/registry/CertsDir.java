package io.layerstore.registry;

import io.layerstore.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Docker's {@code certs.d} for one registry: {@code <dir>/<host[:port]>/*.crt} are CAs trusted on
 * top of the JDK's own, and each {@code <name>.cert} with its {@code <name>.key} is a client
 * certificate to present (docker's rules, in {@code registry.ReadCertsDirectory}). Owns the reading
 * of those directories; nothing else looks into them.
 */
final class CertsDir {

  private CertsDir() {}

  /**
   * The TLS context for {@code hostPort}: the JDK's default one when no directory has an entry for
   * it, else one trusting the JDK's CAs and the entry's, presenting its client certificate.
   */
  static SSLContext context(List<Path> certsDirs, String hostPort) throws IOException {
    List<X509Certificate> cas = new ArrayList<>();
    List<Path[]> clientPairs = new ArrayList<>();
    boolean found = false;
    for (Path dir : certsDirs) {
      Path d = dir.resolve(hostPort);
      if (!Files.isDirectory(d)) {
        continue;
      }
      found = true;
      try (Stream<Path> files = Files.list(d)) {
        for (Path f : files.sorted().toList()) {
          String name = f.getFileName().toString();
          if (name.endsWith(".crt")) {
            cas.addAll(certificates(f));
          } else if (name.endsWith(".cert")) {
            Path key = f.resolveSibling(name.substring(0, name.length() - 5) + ".key");
            if (!Files.isRegularFile(key)) {
              throw new RegistryException(
                  "registry " + hostPort + ": client certificate " + f + " has no key " + key);
            }
            clientPairs.add(new Path[] {f, key});
          } else if (name.endsWith(".key")) {
            Path cert = f.resolveSibling(name.substring(0, name.length() - 4) + ".cert");
            if (!Files.isRegularFile(cert)) {
              throw new RegistryException(
                  "registry " + hostPort + ": client key " + f + " has no certificate " + cert);
            }
          }
        }
      }
    }
    if (!found) {
      try {
        return SSLContext.getDefault();
      } catch (GeneralSecurityException e) {
        throw new RegistryException("registry " + hostPort + ": no default TLS context", e);
      }
    }
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keyManagers(clientPairs, hostPort), trustManagers(cas), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new RegistryException(
          "registry " + hostPort + ": cannot use the certificates of its certs.d entry: " + e, e);
    }
  }

  private static List<X509Certificate> certificates(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new RegistryException("certificate file " + file + " holds no certificate");
      }
      return out;
    } catch (java.security.cert.CertificateException e) {
      throw new RegistryException("certificate file " + file + " is not PEM X.509: " + e, e);
    }
  }

  /** The JDK's trusted CAs and {@code extra}, in one trust store. */
  private static TrustManager[] trustManagers(List<X509Certificate> extra)
      throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    TrustManagerFactory jdk =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    jdk.init((KeyStore) null);
    int i = 0;
    for (TrustManager tm : jdk.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) {
        for (X509Certificate c : x.getAcceptedIssuers()) {
          ks.setCertificateEntry("jdk-" + i++, c);
        }
      }
    }
    for (X509Certificate c : extra) {
      ks.setCertificateEntry("certs.d-" + i++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return tmf.getTrustManagers();
  }

  private static KeyManager[] keyManagers(List<Path[]> pairs, String hostPort)
      throws GeneralSecurityException, IOException {
    if (pairs.isEmpty()) {
      return null;
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] password = new char[0];
    int i = 0;
    for (Path[] pair : pairs) {
      List<X509Certificate> chain = certificates(pair[0]);
      ks.setKeyEntry(
          "client-" + i++,
          privateKey(pair[1], hostPort),
          password,
          chain.toArray(new Certificate[0]));
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password);
    return kmf.getKeyManagers();
  }

  /** A PEM private key: PKCS#8, or PKCS#1 RSA / SEC1 EC as openssl writes them. */
  private static PrivateKey privateKey(Path file, String hostPort) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new RegistryException(
          "registry "
              + hostPort
              + ": client key "
              + file
              + " is not an unencrypted PEM private key (PKCS#1, SEC1 or PKCS#8)");
    }
  }
}
