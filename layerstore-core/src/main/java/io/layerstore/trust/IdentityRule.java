package io.layerstore.trust;

import io.layerstore.InvalidReferenceException;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import java.util.Objects;

/**
 * A {@code signedIdentity} of containers-policy.json(5): which {@code docker-reference} in a
 * signature is acceptable for the image being checked. The semantics are containers/image's {@code
 * signature/policy_reference_match.go}.
 */
sealed interface IdentityRule {

  /** Whether a signature naming {@code signed} is acceptable for {@code intended}. */
  boolean matches(Reference intended, Reference signed);

  /** The rule as the policy writes it, for messages. */
  String describe();

  /** The default of {@code signedBy} and {@code sigstoreSigned}. */
  IdentityRule DEFAULT = new MatchRepoDigestOrExact();

  /** The same name, tag and digest; both must have a tag or a digest. */
  record MatchExact() implements IdentityRule {
    @Override
    public boolean matches(Reference intended, Reference signed) {
      return exact(intended, signed);
    }

    @Override
    public String describe() {
      return "matchExact";
    }
  }

  /** By digest: the same repository; by tag: exactly the same reference. */
  record MatchRepoDigestOrExact() implements IdentityRule {
    @Override
    public boolean matches(Reference intended, Reference signed) {
      if (intended.digest() != null) {
        return DockerNames.name(intended).equals(DockerNames.name(signed));
      }
      return intended.tag() != null && exact(intended, signed);
    }

    @Override
    public String describe() {
      return "matchRepoDigestOrExact";
    }
  }

  /** The same repository, whatever the tag or digest. */
  record MatchRepository() implements IdentityRule {
    @Override
    public boolean matches(Reference intended, Reference signed) {
      return DockerNames.name(intended).equals(DockerNames.name(signed));
    }

    @Override
    public String describe() {
      return "matchRepository";
    }
  }

  /** The signature names exactly this reference, whatever the image is called. */
  record ExactReference(Reference reference) implements IdentityRule {
    @Override
    public boolean matches(Reference intended, Reference signed) {
      return exact(reference, signed);
    }

    @Override
    public String describe() {
      return "exactReference " + DockerNames.full(reference);
    }
  }

  /** The signature names this repository, whatever the image is called. */
  record ExactRepository(Reference repository) implements IdentityRule {
    @Override
    public boolean matches(Reference intended, Reference signed) {
      return DockerNames.name(repository).equals(DockerNames.name(signed));
    }

    @Override
    public String describe() {
      return "exactRepository " + DockerNames.name(repository);
    }
  }

  /**
   * An image under {@code prefix} is checked as if it were under {@code signedPrefix} (a mirror
   * serving another registry's signed images), then as {@link MatchRepoDigestOrExact}.
   */
  record RemapIdentity(String prefix, String signedPrefix) implements IdentityRule {
    @Override
    public boolean matches(Reference intended, Reference signed) {
      Reference effective = intended;
      String name = DockerNames.name(intended);
      if (name.equals(prefix)
          || (name.length() > prefix.length()
              && name.startsWith(prefix)
              && name.charAt(prefix.length()) == '/')) {
        String full = DockerNames.full(intended);
        try {
          effective = Reference.parse(signedPrefix + full.substring(prefix.length()));
        } catch (InvalidReferenceException e) {
          return false;
        }
      }
      return DEFAULT.matches(effective, signed);
    }

    @Override
    public String describe() {
      return "remapIdentity " + prefix + " -> " + signedPrefix;
    }
  }

  private static boolean exact(Reference a, Reference b) {
    return !DockerNames.nameOnly(a)
        && !DockerNames.nameOnly(b)
        && DockerNames.full(a).equals(DockerNames.full(b));
  }

  /** Parses a reference of the policy itself, where a bad one is a configuration error. */
  static Reference policyReference(String text, String what, boolean needTagOrDigest)
      throws LayerStoreException {
    Reference r;
    try {
      r = Reference.parse(Objects.requireNonNull(text));
    } catch (InvalidReferenceException e) {
      throw new LayerStoreException(what + ": " + e.getMessage(), e);
    }
    if (needTagOrDigest && DockerNames.nameOnly(r)) {
      throw new LayerStoreException(what + ": \"" + text + "\" has neither a tag nor a digest");
    }
    if (!needTagOrDigest && !DockerNames.nameOnly(r)) {
      throw new LayerStoreException(what + ": \"" + text + "\" must be a repository name only");
    }
    return r;
  }
}
