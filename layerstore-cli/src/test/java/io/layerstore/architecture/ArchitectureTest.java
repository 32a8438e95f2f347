package io.layerstore.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.layerstore.LayerStore;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds the layering drawn in {@code docs/architecture.md} and the modules' boundaries, over the
 * main code of every module (test code is free to reach into internals). The last two tests run the
 * same rules over fixtures made to break them, to show the rules can fail.
 */
class ArchitectureTest {
  /** Core's packages, lowest first; a class may use its own layer and the ones before it. */
  static final List<String> CORE_LAYERS =
      List.of(
          "vocabulary", // io.layerstore's value types and exceptions: Digest, ids, Mount, ...
          "gocompat",
          "platform",
          "tarsplit",
          "archive",
          "union",
          "format",
          "registry", // the distribution protocol's client: transport, auth, manifests, blobs
          "trust", // signatures and policy: OpenPGP simple signing, sigstore, policy.json
          "spi",
          "store",
          "container", // the container API: Containers and its value types
          "container.internal", // the container area's implementation, which the facade opens
          "build", // ImageBuilder: images built from files, reproducibly
          "facade"); // io.layerstore.LayerStore and its nested types

  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.layerstore");
  }

  @Test
  void corePackagesDependOnlyDownwards() {
    assertTrue(main.contain(LayerStore.class), "core's classes were imported");
    List<String> violations =
        ArchitectureRules.layerViolations(main, ArchitectureTest::coreRank, CORE_LAYERS::get);
    assertEquals(List.of(), violations, "core's layering (docs/architecture.md)");
  }

  @Test
  void modulesUseOnlyWhatOthersExport() throws Exception {
    Map<String, ModuleDescriptor> descriptors =
        Map.of(
            "io.layerstore.core",
            descriptorOf(LayerStore.class),
            "io.layerstore.overlay2",
            descriptorOf(io.layerstore.overlay2.Overlay2Provider.class),
            "io.layerstore.aufs",
            descriptorOf(io.layerstore.aufs.AufsProvider.class),
            "io.layerstore.testkit",
            descriptorOf(io.layerstore.testkit.ImageArchiveBuilder.class));
    assertTrue(descriptors.get("io.layerstore.core").exports().size() >= 3, "core exports its API");
    List<String> violations =
        ArchitectureRules.boundaryViolations(main, ArchitectureTest::moduleOf, descriptors);
    assertEquals(List.of(), violations, "uses of another module's internal packages");
  }

  /**
   * A package cycle made on purpose ({@code fixture.low} and {@code fixture.high} use each other).
   */
  @Test
  void layerRuleFindsACycle() {
    JavaClasses fixture =
        new ClassFileImporter().importPackages(FIXTURE + ".low", FIXTURE + ".high");
    List<String> layers = List.of("low", "high");
    List<String> violations =
        ArchitectureRules.layerViolations(
            fixture,
            c ->
                c.getPackageName().startsWith(FIXTURE + ".")
                    ? Optional.of(
                        layers.indexOf(c.getPackageName().substring(FIXTURE.length() + 1)))
                    : Optional.empty(),
            layers::get);
    assertEquals(
        List.of("low may not use high: " + FIXTURE + ".low.Low -> " + FIXTURE + ".high.High"),
        violations);
  }

  /**
   * A class of another module that reaches into core's store package, which core does not export.
   */
  @Test
  void boundaryRuleFindsAnInternalUse() throws Exception {
    JavaClasses fixture =
        new ClassFileImporter().importPackages(FIXTURE + ".driver", "io.layerstore.store");
    List<String> violations =
        ArchitectureRules.boundaryViolations(
            fixture,
            c ->
                c.getPackageName().startsWith(FIXTURE)
                    ? Optional.of("fixture.driver")
                    : moduleOf(c),
            Map.of("io.layerstore.core", descriptorOf(LayerStore.class)));
    assertEquals(1, violations.size(), violations.toString());
    assertTrue(
        violations
            .get(0)
            .startsWith(
                "fixture.driver uses io.layerstore.store, which io.layerstore.core does not export"),
        violations.get(0));
  }

  static final String FIXTURE = "io.layerstore.architecture.fixture";

  /** The layer of a core class; empty for the other modules' classes and everything else. */
  static Optional<Integer> coreRank(JavaClass c) {
    if (!moduleOf(c).equals(Optional.of("io.layerstore.core"))) {
      return Optional.empty();
    }
    String pkg = c.getPackageName();
    if (pkg.equals("io.layerstore")) {
      boolean facade =
          c.getName().equals(LayerStore.class.getName())
              || c.getName().startsWith(LayerStore.class.getName() + "$");
      return Optional.of(CORE_LAYERS.indexOf(facade ? "facade" : "vocabulary"));
    }
    // the longest listed name that is the package or one of its parents: container.internal has a
    // rank of its own, above container's
    String rest = pkg.substring("io.layerstore.".length());
    int rank = -1;
    int longest = -1;
    for (int i = 0; i < CORE_LAYERS.size(); i++) {
      String layer = CORE_LAYERS.get(i);
      boolean matches = rest.equals(layer) || rest.startsWith(layer + ".");
      if (matches && layer.length() > longest) {
        rank = i;
        longest = layer.length();
      }
    }
    if (rank < 0) {
      throw new AssertionError(
          "core package "
              + pkg
              + " has no place in CORE_LAYERS: add it there and to docs/architecture.md");
    }
    return Optional.of(rank);
  }

  /** The module that holds a class of this project, from its package. */
  static Optional<String> moduleOf(JavaClass c) {
    String pkg = c.getPackageName();
    if (!pkg.equals("io.layerstore") && !pkg.startsWith("io.layerstore.")) {
      return Optional.empty();
    }
    for (String module : List.of("overlay2", "aufs", "cli", "testkit")) {
      String root = "io.layerstore." + module;
      if (pkg.equals(root) || pkg.startsWith(root + ".")) {
        return Optional.of(root);
      }
    }
    if (pkg.startsWith("io.layerstore.architecture")) {
      return Optional.empty(); // this test and its fixtures
    }
    return Optional.of("io.layerstore.core");
  }

  /** The module descriptor compiled into the jar or classes directory that holds {@code anchor}. */
  static ModuleDescriptor descriptorOf(Class<?> anchor) throws URISyntaxException, IOException {
    Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(location).findAll().stream()
        .map(ModuleReference::descriptor)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no module-info in " + location));
  }
}
