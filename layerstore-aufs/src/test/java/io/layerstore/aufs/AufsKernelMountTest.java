package io.layerstore.aufs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Jimfs;
import io.layerstore.ConflictException;
import io.layerstore.Mount;
import io.layerstore.platform.KernelMounts;
import io.layerstore.spi.BranchIntrospection.Branch;
import io.layerstore.spi.BranchIntrospection.MountBranches;
import io.layerstore.spi.DriverContext;
import io.layerstore.spi.GraphDriver;
import io.layerstore.store.LayerTrees;
import io.layerstore.testkit.DriverSandbox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel aufs path, on a kernel without aufs: the driver runs against a fake procfs that lists
 * aufs and a {@link RecordingKernelMounts} (page size 4096) on a jimfs data-root at {@code
 * /var/lib/docker}, so the mount calls it makes are Docker's to the byte, and are compared with a
 * recorded expectation: a container on a 60-layer image (1 mount with rw + init + 39 layers, 1
 * remount appending the other 21, as docs/aufs-layout.md §2.2 works out).
 */
class AufsKernelMountTest {

  static final int PAGE = 4096;

  @TempDir Path tmp;

  private FileSystem fs;
  private Path root;
  private RecordingKernelMounts km;
  private GraphDriver driver;

  @BeforeEach
  void setUp() throws IOException {
    fs = Jimfs.newFileSystem(DriverSandbox.JIMFS_CONFIG);
    root = fs.getPath("/var/lib/docker");
    Files.createDirectories(root);
    Path proc = fs.getPath("/fake/proc");
    Files.createDirectories(proc);
    Files.writeString(
        proc.resolve("filesystems"), "nodev\tsysfs\nnodev\tproc\nnodev\toverlay\nnodev\taufs\n");
    Files.createDirectories(fs.getPath("/fake/sys/fs/aufs"));
    km = new RecordingKernelMounts(PAGE);
  }

  @AfterEach
  void tearDown() throws IOException {
    if (driver != null) {
      driver.close();
    }
    fs.close();
  }

  private GraphDriver open(Map<String, String> extra) throws IOException {
    Map<String, String> opts =
        new java.util.HashMap<>(
            Map.of(
                AufsDriver.OPT_PROC,
                "/fake/proc",
                AufsDriver.OPT_SYS,
                "/fake/sys",
                AufsDriver.OPT_AUPLINK,
                "none"));
    opts.putAll(extra);
    driver =
        new AufsProvider()
            .open(
                new DriverContext(
                    root,
                    root.resolve("layerstore"),
                    new LayerTrees(new RecordingPlatform(km), root.resolve("layerstore")),
                    opts));
    assertTrue(((AufsDriver) driver).usesKernel());
    return driver;
  }

  static String hexId(String seed) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Image layers 1..n (base first) with 64-hex ids; returns the ids, base first. */
  private List<String> image(int n) throws IOException {
    List<String> ids = new ArrayList<>();
    String parent = null;
    for (int i = 1; i <= n; i++) {
      String id = hexId("layer " + i);
      driver.create(id, parent);
      ids.add(id);
      parent = id;
    }
    return ids;
  }

  /** The recorded calls as text, the random names of the dirperm1 probe made stable. */
  private List<String> recorded() {
    List<String> out = new ArrayList<>();
    for (RecordingKernelMounts.Call c : km.calls()) {
      out.add(
          c.toString().replaceAll("\\.dirperm1-probe-(base|union)-[0-9]+", ".dirperm1-probe-$1-*"));
    }
    return out;
  }

  private static final String HOME = "/var/lib/docker/aufs";
  private static final String DIFF = HOME + "/diff/";
  private static final String MNT = HOME + "/mnt/";

  /**
   * What Docker does for one mount and unmount of {@code target}, after its dirperm1 probe. The
   * probe's directory names are not Docker's: Docker makes them with {@code os.MkdirTemp("",
   * "docker-aufs-base")} and {@code "docker-aufs-union"} in its TMPDIR ({@code <data-root>/tmp});
   * the driver makes {@code .dirperm1-probe-base-*} and {@code .dirperm1-probe-union-*} in the aufs
   * home. Those names are checked against the driver's own (a regression record), the rest against
   * Docker's rules.
   */
  private static List<String> dockerCalls(
      String top, String topPerm, List<String> ro, long flags, String target) {
    List<String> out =
        new ArrayList<>(
            DockerAufsCalls.probe(
                HOME + "/.dirperm1-probe-base-*", HOME + "/.dirperm1-probe-union-*"));
    out.addAll(DockerAufsCalls.mount(target, top, topPerm, ro, PAGE, true, flags));
    out.add(DockerAufsCalls.unmount(target));
    return out;
  }

  private List<String> expected(String resource) throws IOException {
    try (InputStream in = getClass().getResourceAsStream(resource)) {
      assertTrue(in != null, "missing test resource " + resource);
      List<String> lines = new ArrayList<>();
      for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!l.isEmpty() && !l.startsWith("#")) {
          lines.add(l);
        }
      }
      return lines;
    }
  }

  private void assertRecorded(String resource) throws IOException {
    List<String> actual = recorded();
    List<String> exp = expected(resource);
    if (!exp.equals(actual)) {
      Path out = Path.of("target", resource.substring(1) + ".actual");
      Files.createDirectories(out.getParent());
      Files.write(out, actual);
    }
    assertEquals(exp, actual, "mount calls (actual written to target/)");
  }

  @Test
  void containerOnA60LayerImageMountsLikeDocker() throws IOException {
    open(Map.of());
    List<String> layers = image(60);
    String m = hexId("container");
    driver.create(m + "-init", layers.get(59));
    driver.create(m, m + "-init");
    try (Mount mount = driver.get(m, true)) {
      assertTrue(mount.isKernelMount());
      assertEquals(root.resolve("aufs/mnt").resolve(m), mount.root());
      assertTrue(driver.isMounted(m));
    }
    assertFalse(driver.isMounted(m));
    List<String> ro = new ArrayList<>(List.of(DIFF + m + "-init"));
    for (int i = 59; i >= 0; i--) {
      ro.add(DIFF + layers.get(i));
    }
    assertEquals(
        dockerCalls(DIFF + m, "rw", ro, 0, MNT + m),
        recorded(),
        "the calls Docker makes (DockerAufsCalls), but for the probe's directory names");
    assertRecorded("/aufs-mount-60-layers.expected");

    // Checked independently of the recording: the worked example of docs/aufs-layout.md §2.2.
    List<RecordingKernelMounts.Call> calls = km.calls();
    RecordingKernelMounts.Call first = calls.get(2);
    RecordingKernelMounts.Call remount = calls.get(3);
    assertEquals(4018, first.data().length());
    assertTrue(first.data().endsWith(",dio,xino=/dev/shm/aufs.xino,dirperm1"));
    assertEquals(1 + 39, first.data().split("=ro\\+wh", -1).length - 1, "init + 39 image layers");
    assertEquals(KernelMounts.MS_REMOUNT, remount.flags());
    assertEquals(21, remount.data().split("append:", -1).length - 1);
    assertTrue(remount.data().endsWith("=ro+wh,"));
    List<String> branches = new ArrayList<>();
    for (String b : first.data().substring(3, first.data().indexOf(",dio")).split(":")) {
      branches.add(b);
    }
    for (String item : remount.data().split(",")) {
      branches.add(item.substring("append:".length()));
    }
    List<String> want = new ArrayList<>();
    want.add("/var/lib/docker/aufs/diff/" + m + "=rw");
    want.add("/var/lib/docker/aufs/diff/" + m + "-init=ro+wh");
    for (int i = 59; i >= 0; i--) {
      want.add("/var/lib/docker/aufs/diff/" + layers.get(i) + "=ro+wh");
    }
    assertEquals(want, branches, "every branch once, topmost first");
    assertEquals("umount2 /var/lib/docker/aufs/mnt/" + m + " flags=2", calls.get(4).toString());
  }

  @Test
  void withoutDirperm1TheBudgetIsNineBytesLarger() throws IOException {
    km.failing(c -> c.data() != null && c.data().contains(",dirperm1,"));
    open(Map.of());
    List<String> layers = image(60);
    String m = hexId("container");
    driver.create(m + "-init", layers.get(59));
    driver.create(m, m + "-init");
    driver.get(m, true).close();
    List<RecordingKernelMounts.Call> calls = km.calls();
    assertEquals(4, calls.size(), recorded().toString()); // failed probe, mount, remount, umount
    assertEquals(4009, calls.get(1).data().length());
    assertTrue(calls.get(1).data().endsWith(",dio,xino=/dev/shm/aufs.xino"));
    assertEquals(21, calls.get(2).data().split("append:", -1).length - 1);
    assertEquals("false", driver.status().get("Dirperm1 Supported"));
  }

  @Test
  void readOnlyImageMountKeepsEveryCallReadOnly() throws IOException {
    open(Map.of());
    List<String> layers = image(60);
    String top = layers.get(59);
    try (Mount mount = driver.get(top, false)) {
      assertFalse(mount.isWritable());
    }
    List<String> ro = new ArrayList<>();
    for (int i = 58; i >= 0; i--) {
      ro.add(DIFF + layers.get(i));
    }
    // Docker's packing; the read-only flag on every call and the ro+wh top are layerstore's own
    // (Docker's aufs driver mounts containers only, read-write)
    assertEquals(
        dockerCalls(DIFF + top, "ro+wh", ro, KernelMounts.MS_RDONLY, MNT + top), recorded());
    assertRecorded("/aufs-mount-60-layers-readonly.expected");
    List<RecordingKernelMounts.Call> calls = km.calls();
    assertEquals(KernelMounts.MS_RDONLY, calls.get(2).flags());
    assertTrue(calls.get(2).data().startsWith("br:/var/lib/docker/aufs/diff/" + top + "=ro+wh:"));
    assertEquals(KernelMounts.MS_REMOUNT | KernelMounts.MS_RDONLY, calls.get(3).flags());
  }

  @Test
  void mountLabelIsAppendedToEveryCall() throws IOException {
    open(Map.of(AufsDriver.OPT_MOUNT_LABEL, "system_u:object_r:container_file_t:s0:c1,c2"));
    List<String> layers = image(60);
    driver.get(layers.get(59), true).close();
    List<RecordingKernelMounts.Call> calls = km.calls();
    String context = ",context=\"system_u:object_r:container_file_t:s0:c1,c2\"";
    assertTrue(calls.get(2).data().endsWith(",dirperm1" + context), calls.get(2).data());
    // Docker's FormatMountLabel after a trailing comma: ",," before context
    assertTrue(calls.get(3).data().endsWith("=ro+wh," + context), calls.get(3).data());
    assertTrue(calls.get(2).data().length() <= PAGE - 1);
  }

  @Test
  void aWritableBaseLayerIsItsOwnBranchAndNothingIsMounted() throws IOException {
    open(Map.of());
    driver.create("1", null);
    driver.create("2", "1");
    try (Mount m = driver.get("1", true)) {
      assertEquals(root.resolve("aufs/diff/1"), m.root());
      assertFalse(m.isKernelMount());
      assertEquals(Optional.empty(), ((AufsDriver) driver).branches("1"));
    }
    try (Mount m = driver.get("2", true)) {
      assertEquals(root.resolve("aufs/mnt/2"), m.root());
      assertEquals("aufs", km.mountType(root.resolve("aufs/mnt/2")));
      assertThrows(ConflictException.class, () -> driver.get("2", false));
      assertThrows(ConflictException.class, () -> driver.remove("2"));
    }
    assertEquals(null, km.mountType(root.resolve("aufs/mnt/2")));
  }

  @Test
  void aFailedRemountUnmountsWhatWasMounted() throws IOException {
    km.failing(c -> (c.flags() & KernelMounts.MS_REMOUNT) != 0);
    open(Map.of());
    List<String> layers = image(60);
    assertThrows(IOException.class, () -> driver.get(layers.get(59), true));
    List<String> rec = recorded();
    assertTrue(
        rec.get(rec.size() - 1).startsWith("umount2 /var/lib/docker/aufs/mnt/" + layers.get(59)),
        rec.toString());
    assertFalse(driver.isMounted(layers.get(59)));
  }

  /** auplink flush runs before each unmount; exit status 22 is retried 5 times, as Docker does. */
  @Test
  void unmountRunsAuplinkFlushFirst() throws Exception {
    Path log = tmp.resolve("auplink.log");
    Path script = tmp.resolve("auplink");
    Files.writeString(script, "#!/bin/sh\necho \"$@\" >> '" + log + "'\nexit ${AUPLINK_RC:-0}\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    open(Map.of(AufsDriver.OPT_AUPLINK, script.toString()));
    driver.create("1", null);
    driver.create("2", "1");
    driver.get("2", false).close();
    List<String> lines = Files.readAllLines(log);
    // the dirperm1 probe's unmount, then the layer's
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(
        lines.get(0).matches("/var/lib/docker/aufs/\\.dirperm1-probe-union-[0-9]+ flush"),
        lines.get(0));
    assertEquals("/var/lib/docker/aufs/mnt/2 flush", lines.get(1));

    Files.writeString(script, "#!/bin/sh\necho \"$@\" >> '" + log + "'\nexit 22\n");
    Files.delete(log);
    driver.get("2", false).close();
    assertEquals(6, Files.readAllLines(log).size(), "1 run + 5 retries on EINVAL");
    assertFalse(driver.isMounted("2"), "a failing flush does not stop the unmount");
  }

  // ---- branch introspection against the files a real aufs writes -----------------------------

  /** Writes the /proc/mounts line and /sys/fs/aufs/si_<si>/ files the kernel shows for a mount. */
  static void fakeAufsMount(
      Path proc,
      Path sys,
      String mountPoint,
      String si,
      List<String[]> branches,
      String extraOptions)
      throws IOException {
    String line =
        "none "
            + AufsBranchReader.escape(mountPoint)
            + " aufs rw,relatime,si="
            + si
            + ",dio,dirperm1"
            + extraOptions
            + " 0 0\n";
    Path mounts = proc.resolve("mounts");
    String before =
        Files.exists(mounts)
            ? Files.readString(mounts)
            : "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n";
    Files.writeString(mounts, before + line);
    Path dir = sys.resolve("fs/aufs/si_" + si);
    Files.createDirectories(dir);
    for (int i = 0; i < branches.size(); i++) {
      Files.writeString(
          dir.resolve("br" + i),
          AufsBranchReader.escape(branches.get(i)[0]) + "=" + branches.get(i)[1] + "\n");
      Files.writeString(dir.resolve("brid" + i), (64 + i) + "\n");
    }
    Files.writeString(dir.resolve("xi_path"), "/dev/shm/aufs.xino\n");
  }

  @Test
  void branchesOfAKernelMountComeFromProcAndSys() throws IOException {
    open(Map.of());
    List<String> layers = image(3);
    String m = hexId("container");
    driver.create(m + "-init", layers.get(2));
    driver.create(m, m + "-init");
    AufsDriver aufs = (AufsDriver) driver;
    assertEquals(Optional.empty(), aufs.branches(m), "not mounted");
    try (Mount mount = driver.get(m, true)) {
      String d = "/var/lib/docker/aufs/diff/";
      List<String[]> br =
          List.of(
              new String[] {d + m, "rw"},
              new String[] {d + m + "-init", "ro+wh"},
              new String[] {d + layers.get(2), "ro+wh"},
              new String[] {d + layers.get(1), "ro+wh"},
              new String[] {d + layers.get(0), "ro+wh"});
      fakeAufsMount(
          fs.getPath("/fake/proc"),
          fs.getPath("/fake/sys"),
          mount.root().toString(),
          "300bce299df0725",
          br,
          "");
      MountBranches b = aufs.branches(m).orElseThrow();
      assertTrue(b.kernel());
      assertEquals("300bce299df0725", b.si());
      assertEquals("/dev/shm/aufs.xino", b.xinoPath());
      assertEquals(mount.root().toString(), b.mountPoint());
      List<Branch> want = new ArrayList<>();
      for (int i = 0; i < br.size(); i++) {
        want.add(new Branch(i, br.get(i)[0], br.get(i)[1], 64 + i));
      }
      assertEquals(want, b.branches());
    }
    assertEquals(Optional.empty(), aufs.branches(m));
  }
}
