package io.layerstore.trust;

import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A parsed containers-registries.d(5) directory: every {@code *.yaml} file's {@code default-docker}
 * and {@code docker: <scope>:} entries, saying where each registry's simple signatures are kept
 * ({@code lookaside}, {@code lookaside-staging} and their older names {@code sigstore}, {@code
 * sigstore-staging}) and whether its sigstore attachments are read ({@code
 * use-sigstore-attachments}). For an image, the most specific scope that sets a value wins, then
 * {@code default-docker}; as in containers/image, one scope (or {@code default-docker}) defined in
 * two files is an error.
 */
final class RegistriesD {

  /** One scope's settings; null where the file does not set them. */
  record Namespace(
      String lookaside,
      String lookasideStaging,
      String sigstore,
      String sigstoreStaging,
      Boolean useSigstoreAttachments) {

    /** containers/image's {@code signatureTopLevel}: staging first when writing. */
    String topLevel(boolean write) {
      if (write) {
        if (lookasideStaging != null) {
          return lookasideStaging;
        }
        if (sigstoreStaging != null) {
          return sigstoreStaging;
        }
      }
      return lookaside != null ? lookaside : sigstore;
    }
  }

  private final Namespace defaultDocker;
  private final Map<String, Namespace> docker;

  private RegistriesD(Namespace defaultDocker, Map<String, Namespace> docker) {
    this.defaultDocker = defaultDocker;
    this.docker = docker;
  }

  /** A directory that does not exist configures nothing, as for containers/image. */
  static RegistriesD load(Path dir) throws LayerStoreException {
    if (!Files.isDirectory(dir)) {
      return new RegistriesD(null, Map.of());
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new LayerStoreException("cannot list registries.d " + dir + ": " + e, e);
    }
    Namespace defaultDocker = null;
    Path defaultFrom = null;
    Map<String, Namespace> docker = new HashMap<>();
    Map<String, Path> dockerFrom = new HashMap<>();
    for (Path file : files) {
      Map<String, Object> root =
          RegistriesYaml.parse(
              new String(TrustFiles.read(file, "registries.d file"), StandardCharsets.UTF_8),
              file.toString());
      Object dd = root.get("default-docker");
      if (dd != null) {
        if (defaultFrom != null) {
          throw new LayerStoreException(
              "registries.d: default-docker is defined in both " + defaultFrom + " and " + file);
        }
        defaultDocker = namespace(dd, file + ": default-docker");
        defaultFrom = file;
      }
      Object scopes = root.get("docker");
      if (scopes != null) {
        if (!(scopes instanceof Map<?, ?> m)) {
          throw new LayerStoreException(file + ": docker is not a mapping of scopes");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
          String scope = (String) e.getKey();
          Path earlier = dockerFrom.putIfAbsent(scope, file);
          if (earlier != null) {
            throw new LayerStoreException(
                "registries.d: docker scope \""
                    + scope
                    + "\" is defined in both "
                    + earlier
                    + " and "
                    + file);
          }
          docker.put(scope, namespace(e.getValue(), file + ": docker." + scope));
        }
      }
    }
    return new RegistriesD(defaultDocker, Map.copyOf(docker));
  }

  /** The lookaside URL for the image's repository, or null when no scope sets one. */
  String lookaside(Reference ref, boolean write) {
    for (String scope : DockerNames.scopes(ref)) {
      Namespace ns = docker.get(scope);
      if (ns != null && ns.topLevel(write) != null) {
        return ns.topLevel(write);
      }
    }
    return defaultDocker != null ? defaultDocker.topLevel(write) : null;
  }

  /** Whether the image's sigstore attachments are read (and written): false unless set. */
  boolean useSigstoreAttachments(Reference ref) {
    for (String scope : DockerNames.scopes(ref)) {
      Namespace ns = docker.get(scope);
      if (ns != null && ns.useSigstoreAttachments() != null) {
        return ns.useSigstoreAttachments();
      }
    }
    return defaultDocker != null && Boolean.TRUE.equals(defaultDocker.useSigstoreAttachments());
  }

  private static Namespace namespace(Object value, String what) throws LayerStoreException {
    if (value == null) {
      return new Namespace(null, null, null, null, null);
    }
    if (!(value instanceof Map<?, ?> m)) {
      throw new LayerStoreException(what + " is not a mapping");
    }
    return new Namespace(
        string(m, "lookaside", what),
        string(m, "lookaside-staging", what),
        string(m, "sigstore", what),
        string(m, "sigstore-staging", what),
        bool(m, "use-sigstore-attachments", what));
  }

  private static String string(Map<?, ?> m, String key, String what) throws LayerStoreException {
    Object v = m.get(key);
    if (v != null && !(v instanceof String)) {
      throw new LayerStoreException(what + "." + key + " is not a URL");
    }
    return (String) v;
  }

  private static Boolean bool(Map<?, ?> m, String key, String what) throws LayerStoreException {
    Object v = m.get(key);
    if (v == null) {
      return null;
    }
    String s = v instanceof String t ? t.toLowerCase(Locale.ROOT) : "";
    return switch (s) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new LayerStoreException(what + "." + key + " is not true or false");
    };
  }
}
