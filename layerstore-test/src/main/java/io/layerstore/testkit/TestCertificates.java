package io.layerstore.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for loopback test servers, made with BouncyCastle: a certificate authority, server
 * certificates it signs for {@code 127.0.0.1} and {@code localhost}, client certificates, and
 * self-signed signing certificates (a token server's). Keys are EC P-256 (fast to make, as Go's TLS
 * and the JDK both accept them), except where RSA is asked for. Valid from an hour ago for a day,
 * so clock skew between the JVM and a server never matters.
 */
public final class TestCertificates {

  /**
   * A key and its certificate.
   *
   * @param key the private key
   * @param certificate the certificate
   */
  public record Issued(PrivateKey key, X509Certificate certificate) {

    /**
     * The certificate in PEM.
     *
     * @return the PEM text
     */
    public String certificatePem() {
      return pem(certificate);
    }

    /**
     * The private key in PEM (PKCS#8).
     *
     * @return the PEM text
     */
    public String keyPem() {
      // PKCS#8, which keeps an EC key's curve: BouncyCastle's default SEC1 form of a JDK key
      // lacks it, and Go's TLS then cannot parse the key.
      try {
        return pem(new JcaPKCS8Generator(key, null).generate());
      } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
        throw new IllegalStateException("cannot encode a test key", e);
      }
    }

    /**
     * Writes the certificate and key as PEM files.
     *
     * @param cert where the certificate goes
     * @param keyFile where the key goes
     * @throws IOException if a file cannot be written
     */
    public void write(Path cert, Path keyFile) throws IOException {
      Files.createDirectories(cert.toAbsolutePath().getParent());
      Files.writeString(cert, certificatePem());
      Files.createDirectories(keyFile.toAbsolutePath().getParent());
      Files.writeString(keyFile, keyPem());
    }
  }

  private TestCertificates() {}

  /**
   * A new self-signed certificate authority.
   *
   * @param name its common name
   * @return the CA's key and certificate
   */
  public static Issued authority(String name) {
    KeyPair kp = keyPair("EC");
    X500Name subject = new X500Name("CN=" + name);
    return sign(subject, kp, subject, kp.getPrivate(), true, null, null);
  }

  /**
   * A server certificate for {@code 127.0.0.1}, {@code ::1} and {@code localhost}, signed by {@code
   * ca}.
   *
   * @param ca the signing authority
   * @return the server's key and certificate
   */
  public static Issued server(Issued ca) {
    KeyPair kp = keyPair("EC");
    GeneralNames names =
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
              new GeneralName(GeneralName.iPAddress, "::1"),
              new GeneralName(GeneralName.dNSName, "localhost")
            });
    return sign(
        new X500Name("CN=localhost"),
        kp,
        subjectOf(ca),
        ca.key(),
        false,
        names,
        KeyPurposeId.id_kp_serverAuth);
  }

  /**
   * A client certificate signed by {@code ca}.
   *
   * @param ca the signing authority
   * @param name the client's common name
   * @return the client's key and certificate
   */
  public static Issued client(Issued ca, String name) {
    KeyPair kp = keyPair("EC");
    return sign(
        new X500Name("CN=" + name),
        kp,
        subjectOf(ca),
        ca.key(),
        false,
        null,
        KeyPurposeId.id_kp_clientAuth);
  }

  /**
   * A self-signed RSA certificate to sign tokens with (RS256).
   *
   * @param name its common name
   * @return the key and certificate
   */
  public static Issued rsaSigner(String name) {
    KeyPair kp = keyPair("RSA");
    X500Name subject = new X500Name("CN=" + name);
    return sign(subject, kp, subject, kp.getPrivate(), false, null, null);
  }

  private static X500Name subjectOf(Issued ca) {
    return X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
  }

  private static KeyPair keyPair(String algorithm) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
      if (algorithm.equals("EC")) {
        g.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        g.initialize(2048);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(algorithm + " keys are not available", e);
    }
  }

  private static Issued sign(
      X500Name subject,
      KeyPair kp,
      X500Name issuer,
      PrivateKey issuerKey,
      boolean ca,
      GeneralNames names,
      KeyPurposeId purpose) {
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              // Random serials: certificates made in one run never share issuer and serial.
              new BigInteger(63, new SecureRandom()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(1))),
              subject,
              kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(
              ca
                  ? KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature
                  : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      if (names != null) {
        b.addExtension(Extension.subjectAlternativeName, false, names);
      }
      if (purpose != null) {
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      }
      String alg = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(issuerKey)));
      return new Issued(kp.getPrivate(), cert);
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot make a test certificate for " + subject, e);
    }
  }

  private static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }
}
