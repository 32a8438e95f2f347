package io.layerstore;

/**
 * How a store keeps the file metadata of its layers (device nodes, numeric ownership, special mode
 * bits, trusted and other extended attributes) and whether it mounts with the kernel. Chosen once,
 * when the store is opened ({@link LayerStore.Builder#platform}); {@link LayerStore#platform} says
 * what was chosen.
 */
public enum PlatformMode {
  /**
   * Native where the host allows it, else emulated: the default. Native needs Linux, root, and a
   * store on the default file system that holds device nodes and trusted xattrs (a probe beside the
   * store proves it); otherwise the reason is logged and the store is emulated.
   */
  AUTO,

  /**
   * Everything in the kernel: real device nodes, owners and xattrs, and kernel mounts (overlay,
   * aufs). Opening fails where the host cannot do that.
   */
  NATIVE,

  /**
   * In-process emulation whatever the host could do: what the file system cannot hold is recorded
   * in files beside each layer, and mounts are the in-process union. For a store that must not
   * depend on privilege (as root too), or on a file system that cannot hold device nodes.
   */
  EMULATED
}
