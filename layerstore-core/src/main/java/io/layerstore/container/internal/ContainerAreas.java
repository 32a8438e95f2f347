package io.layerstore.container.internal;

import io.layerstore.container.Containers;
import io.layerstore.store.StoreContext;
import java.io.IOException;

/**
 * How {@code LayerStore.open} gets the container area of a store it has recovered. {@link
 * Containers} is public API and its package is exported, so it can have no public method that takes
 * the store's internals ({@link StoreContext}); this package is not exported, and {@code
 * Containers} hands its opener in here when its class is initialized (the pattern of the JDK's
 * {@code SharedSecrets}).
 */
public final class ContainerAreas {

  /** Opens the container area of a store, as {@code Containers} does. */
  @FunctionalInterface
  public interface Opener {
    /**
     * The container area of a store whose own recovery has run; it first undoes what container
     * operations a killed process left half done.
     */
    Containers open(StoreContext store) throws IOException;
  }

  private static volatile Opener opener;

  private ContainerAreas() {}

  /** Called once, by {@code Containers}' static initializer. */
  public static synchronized void provide(Opener o) {
    if (opener != null) {
      throw new IllegalStateException("the container area's opener is set already");
    }
    opener = o;
  }

  /** The container area of {@code store}, recovered; see {@link Opener#open}. */
  public static Containers open(StoreContext store) throws IOException {
    Opener o = opener;
    if (o == null) {
      initialize();
      o = opener;
    }
    return o.open(store);
  }

  private static void initialize() {
    try {
      Class.forName(Containers.class.getName(), true, Containers.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }
}
