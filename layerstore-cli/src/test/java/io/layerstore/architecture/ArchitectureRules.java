package io.layerstore.architecture;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import java.lang.module.ModuleDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The two rules that keep the code's shape, written as plain functions of a set of imported classes
 * so that a test can run them both on the real code and on small fixtures made to break them (a
 * rule that cannot fail proves nothing).
 *
 * <ul>
 *   <li><b>Layers</b>: every class of one module is given a rank; a class may depend on classes of
 *       its own rank or lower, never higher. Ranks are per package, so this also forbids every
 *       package cycle: a cycle needs at least one edge that goes up.
 *   <li><b>Module boundaries</b>: a class of one module may use a package of another module only if
 *       that module's {@code module-info} exports it (to everyone, or to the user's module by
 *       name).
 * </ul>
 */
final class ArchitectureRules {
  private ArchitectureRules() {}

  /**
   * Violations of the layering: {@code rank} gives each class's layer (empty for classes the rule
   * does not cover, such as other modules and the JDK), {@code layerName} names a rank in messages.
   */
  static List<String> layerViolations(
      JavaClasses classes,
      Function<JavaClass, Optional<Integer>> rank,
      Function<Integer, String> layerName) {
    Set<String> found = new TreeSet<>();
    for (JavaClass origin : classes) {
      Optional<Integer> from = rank.apply(origin);
      if (from.isEmpty()) {
        continue;
      }
      for (Dependency d : origin.getDirectDependenciesFromSelf()) {
        Optional<Integer> to = rank.apply(d.getTargetClass());
        if (to.isPresent() && to.get() > from.get()) {
          found.add(
              layerName.apply(from.get())
                  + " may not use "
                  + layerName.apply(to.get())
                  + ": "
                  + origin.getName()
                  + " -> "
                  + d.getTargetClass().getName());
        }
      }
    }
    return new ArrayList<>(found);
  }

  /**
   * Violations of module boundaries: {@code moduleOf} maps a class to the name of the module that
   * holds it (empty for classes outside the project); {@code descriptors} are the module
   * descriptors of the modules whose exports are enforced.
   */
  static List<String> boundaryViolations(
      JavaClasses classes,
      Function<JavaClass, Optional<String>> moduleOf,
      Map<String, ModuleDescriptor> descriptors) {
    Set<String> found = new TreeSet<>();
    for (JavaClass origin : classes) {
      Optional<String> user = moduleOf.apply(origin);
      if (user.isEmpty()) {
        continue;
      }
      for (Dependency d : origin.getDirectDependenciesFromSelf()) {
        JavaClass target = d.getTargetClass();
        Optional<String> owner = moduleOf.apply(target);
        if (owner.isEmpty() || owner.equals(user)) {
          continue;
        }
        ModuleDescriptor descriptor = descriptors.get(owner.get());
        if (descriptor != null && !exportedTo(descriptor, target.getPackageName(), user.get())) {
          found.add(
              user.get()
                  + " uses "
                  + target.getPackageName()
                  + ", which "
                  + owner.get()
                  + " does not export: "
                  + origin.getName()
                  + " -> "
                  + target.getName());
        }
      }
    }
    return new ArrayList<>(found);
  }

  private static boolean exportedTo(ModuleDescriptor descriptor, String pkg, String user) {
    return descriptor.exports().stream()
        .anyMatch(e -> e.source().equals(pkg) && (!e.isQualified() || e.targets().contains(user)));
  }
}
