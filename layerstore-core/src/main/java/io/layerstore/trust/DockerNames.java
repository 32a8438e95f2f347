package io.layerstore.trust;

import io.layerstore.Reference;
import java.util.ArrayList;
import java.util.List;

/**
 * The text forms of a reference that policy.json, registries.d and signatures use, as
 * containers/image's docker transport writes them: always with the registry ({@code
 * docker.io/library/busybox}), never in Docker's familiar short form.
 */
final class DockerNames {

  private DockerNames() {}

  /** {@code registry/repository}: Go's {@code reference.Named.Name()}. */
  static String name(Reference ref) {
    return ref.domain() + "/" + ref.path();
  }

  /** Go's {@code reference.String()}: the name with the tag and the digest it has. */
  static String full(Reference ref) {
    StringBuilder sb = new StringBuilder(name(ref));
    if (ref.tag() != null) {
      sb.append(':').append(ref.tag());
    }
    if (ref.digest() != null) {
      sb.append('@').append(ref.digest());
    }
    return sb.toString();
  }

  /** Neither a tag nor a digest: Go's {@code reference.IsNameOnly}. */
  static boolean nameOnly(Reference ref) {
    return ref.tag() == null && ref.digest() == null;
  }

  /**
   * The docker transport's {@code PolicyConfigurationIdentity}: the name with the digest when there
   * is one (an image pulled by digest is that digest), else with the tag ({@code latest} when none
   * is given).
   */
  static String identity(Reference ref) {
    if (ref.digest() != null) {
      return name(ref) + "@" + ref.digest();
    }
    return name(ref) + ":" + (ref.tag() != null ? ref.tag() : Reference.DEFAULT_TAG);
  }

  /**
   * The reference as a pull or a signature check sees it: by digest when it has one, else by tag.
   */
  static Reference intended(Reference ref) {
    if (ref.digest() != null) {
      return new Reference(ref.domain(), ref.path(), null, ref.digest());
    }
    return ref.withDefaultTag();
  }

  /**
   * containers/image's {@code PolicyConfigurationNamespaces}: the repository, each parent namespace
   * up to the registry, then the registry's wildcard domains without the port ({@code
   * *.example.com}, {@code *.com}); most specific first.
   */
  static List<String> namespaces(Reference ref) {
    List<String> out = new ArrayList<>();
    String name = name(ref);
    while (true) {
      out.add(name);
      int slash = name.lastIndexOf('/');
      if (slash < 0) {
        break;
      }
      name = name.substring(0, slash);
    }
    int colon = name.indexOf(':');
    if (colon >= 0) {
      name = name.substring(0, colon);
    }
    for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.')) {
      name = name.substring(dot + 1);
      out.add("*." + name);
    }
    return out;
  }

  /** The identity, then the namespaces: the order in which scopes are looked up. */
  static List<String> scopes(Reference ref) {
    List<String> out = new ArrayList<>();
    out.add(identity(ref));
    out.addAll(namespaces(ref));
    return out;
  }
}
