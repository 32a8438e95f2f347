package io.layerstore;

/**
 * How to remove an image ({@link LayerStore#remove}, like {@code docker rmi [-f]}) or a container
 * ({@code Containers.remove}, like {@code docker rm [-f]}).
 *
 * <pre>{@code
 * store.remove("app:1", RemoveOptions.defaults());
 * store.remove(id.toString(), RemoveOptions.defaults().force());
 * }</pre>
 *
 * @param forced for an image: delete it by id even when tagged more than once, or when it is the
 *     parent of another image; for a container: unmount it first when it is mounted
 */
public record RemoveOptions(boolean forced) {

  /**
   * Not forced: refuse what {@code docker rmi}/{@code docker rm} refuse without {@code -f}.
   *
   * @return options without {@link #forced()}
   */
  public static RemoveOptions defaults() {
    return new RemoveOptions(false);
  }

  /**
   * Forced, as with {@code -f}.
   *
   * @return options with {@link #forced()} on
   */
  public RemoveOptions force() {
    return new RemoveOptions(true);
  }
}
