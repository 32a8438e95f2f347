package io.layerstore.aufs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Jimfs;
import io.layerstore.spi.BranchIntrospection.Branch;
import io.layerstore.spi.BranchIntrospection.MountBranches;
import io.layerstore.testkit.DriverSandbox;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Branch introspection against fake procfs/sysfs trees holding exactly what aufs writes
 * (docs/aufs-layout.md §3): the {@code /proc/mounts} line with {@code rw,relatime,si=<hex>,...},
 * {@code br<N>} files of {@code <path>=<perm>\n} with seq_path escapes, {@code brid<N>} from 64 up,
 * and {@code xi_path}.
 */
class AufsBranchReaderTest {

  private FileSystem fs;
  private Path proc;
  private Path sys;
  private AufsBranchReader reader;

  @BeforeEach
  void setUp() throws IOException {
    fs = Jimfs.newFileSystem(DriverSandbox.JIMFS_CONFIG);
    proc = fs.getPath("/proc");
    sys = fs.getPath("/sys");
    Files.createDirectories(proc);
    Files.createDirectories(sys.resolve("fs/aufs"));
    Files.writeString(
        sys.resolve("fs/aufs/config"), "CONFIG_AUFS_FS=m\nCONFIG_AUFS_BRANCH_MAX_127=y\n");
    reader = new AufsBranchReader(proc, sys);
  }

  @AfterEach
  void tearDown() throws IOException {
    fs.close();
  }

  @Test
  void theWebListingOfFiveBranches() throws IOException {
    // the shape of the real listing quoted in docs/aufs-layout.md §3.2: br0..br4, brid 64..68
    String mnt = "/var/lib/docker/aufs/mnt/c1";
    String d = "/var/lib/docker/aufs/diff/";
    List<String[]> br =
        List.<String[]>of(
            new String[] {d + "c1", "rw"},
            new String[] {d + "c1-init", "ro+wh"},
            new String[] {d + "l3", "ro+wh"},
            new String[] {d + "l2", "ro+wh"},
            new String[] {d + "l1", "ro+wh"});
    AufsKernelMountTest.fakeAufsMount(proc, sys, mnt, "300bce299df0725", br, "");
    MountBranches b = reader.read(mnt).orElseThrow();
    assertEquals("300bce299df0725", b.si());
    assertEquals(5, b.branches().size());
    assertEquals(new Branch(0, d + "c1", "rw", 64), b.branches().get(0));
    assertEquals(new Branch(4, d + "l1", "ro+wh", 68), b.branches().get(4));
    assertEquals("/dev/shm/aufs.xino", b.xinoPath());
    assertTrue(b.kernel());
  }

  @Test
  void escapedPathsInMountsAndBranchFiles() throws IOException {
    String mnt = "/data root/aufs/mnt/x";
    String branch = "/data root/aufs/diff/x\\y";
    AufsKernelMountTest.fakeAufsMount(
        proc, sys, mnt, "a1", List.<String[]>of(new String[] {branch, "rw"}), "");
    assertTrue(Files.readString(proc.resolve("mounts")).contains("/data\\040root/aufs/mnt/x"));
    assertEquals(
        "/data\\040root/aufs/diff/x\\134y=rw\n",
        Files.readString(sys.resolve("fs/aufs/si_a1/br0")));
    MountBranches b = reader.read(mnt).orElseThrow();
    assertEquals(List.of(new Branch(0, branch, "rw", 64)), b.branches());
  }

  @Test
  void stackedMountsTakeTheLast() throws IOException {
    String mnt = "/m";
    AufsKernelMountTest.fakeAufsMount(
        proc, sys, mnt, "1", List.<String[]>of(new String[] {"/old", "rw"}), "");
    AufsKernelMountTest.fakeAufsMount(
        proc, sys, mnt, "2", List.<String[]>of(new String[] {"/new", "ro+wh"}), "");
    assertEquals("2", reader.read(mnt).orElseThrow().si());
    assertEquals("/new", reader.read(mnt).orElseThrow().branches().get(0).path());
  }

  /** With the module parameter brs=0 the branches are in the options, always last. */
  @Test
  void branchesInTheOptionsWhenBrsIsOff() throws IOException {
    Files.writeString(
        proc.resolve("mounts"),
        "none /m aufs rw,relatime,si=9f0e,dio,br:/a\\040b=rw:/c=ro+wh:/d=rr 0 0\n");
    MountBranches b = reader.read("/m").orElseThrow();
    assertEquals(
        List.of(
            new Branch(0, "/a b", "rw", -1),
            new Branch(1, "/c", "ro+wh", -1),
            new Branch(2, "/d", "rr", -1)),
        b.branches());
    assertEquals("9f0e", b.si());
    assertEquals("", b.xinoPath());
  }

  @Test
  void otherMountsAndTypesAreNotAufsMounts() throws IOException {
    Files.writeString(
        proc.resolve("mounts"),
        "overlay /m overlay rw,relatime,lowerdir=/a,upperdir=/b,workdir=/c 0 0\n"
            + "none /other aufs rw,relatime,si=5,dio 0 0\n");
    assertEquals(Optional.empty(), reader.read("/m"));
    assertEquals(Optional.empty(), reader.read("/nothing"));
  }

  @Test
  void aMissingSysfsDirectoryIsAnError() throws IOException {
    Files.writeString(proc.resolve("mounts"), "none /m aufs rw,relatime,si=77,dio 0 0\n");
    IOException e = assertThrows(IOException.class, () -> reader.read("/m"));
    assertTrue(e.getMessage().contains("si_77"), e.getMessage());
  }

  @Test
  void aMalformedBranchFileIsAnError() throws IOException {
    AufsKernelMountTest.fakeAufsMount(
        proc, sys, "/m", "88", List.<String[]>of(new String[] {"/a", "rw"}), "");
    Files.writeString(sys.resolve("fs/aufs/si_88/br0"), "no-permission\n");
    IOException e = assertThrows(IOException.class, () -> reader.read("/m"));
    assertTrue(e.getMessage().contains("br0"), e.getMessage());
  }

  @Test
  void escapesRoundTrip() {
    for (String s :
        new String[] {"/plain", "/a b", "/tab\there", "/nl\nx", "/back\\slash", "/ünï cødé"}) {
      assertEquals(s, AufsBranchReader.unescape(AufsBranchReader.escape(s)));
    }
    assertEquals("/a\\040b", AufsBranchReader.escape("/a b"));
  }
}
