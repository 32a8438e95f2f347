package io.layerstore.platform;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mountinfo parser on lines shaped like the kernel's (see proc(5)). */
class MountInfoTest {

  @Test
  void parsesFieldsEscapesAndOptionalFields() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(
        ("22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
                + "35 22 0:40 / /tmp/with\\040space\\011tab\\012nl\\134bs rw,relatime - overlay overlay"
                + " rw,lowerdir=/l/a\\054b,upperdir=/u\n"
                + "36 22 0:41 /sub /tmp/m rw shared:5 master:2 propagate_from:3 - tmpfs tmpfs rw\n"
                + "37 36 0:42 / /tmp/m rw - overlay none rw\n"
                + "garbage line\n"
                + "\n")
            .getBytes(UTF_8));
    b.writeBytes("38 22 0:43 / /tmp/".getBytes(UTF_8));
    b.writeBytes("ünï".getBytes(UTF_8));
    b.writeBytes(" rw - tmpfs tmpfs rw".getBytes(UTF_8)); // last line without a newline

    List<MountInfo> all = MountInfo.parse(b.toByteArray());

    assertEquals(5, all.size());
    MountInfo rootMount = all.get(0);
    assertEquals(List.of(22, 1), List.of(rootMount.id(), rootMount.parentId()));
    assertEquals("/", rootMount.mountPoint());
    assertEquals("ext4", rootMount.fsType());
    assertEquals("/dev/vda", rootMount.source());
    assertEquals("rw,relatime", rootMount.options());

    MountInfo odd = all.get(1);
    assertEquals("/tmp/with space\ttab\nnl\\bs", odd.mountPoint());
    assertEquals("overlay", odd.fsType());
    assertEquals("rw,lowerdir=/l/a,b,upperdir=/u", odd.superOptions());

    assertEquals("/sub", all.get(2).root());
    assertEquals("tmpfs", all.get(2).fsType());
    assertEquals("overlay", all.get(3).fsType(), "stacked on the same mount point, in order");
    assertEquals("/tmp/ünï", all.get(4).mountPoint());
  }

  @Test
  void leavesBackslashesThatAreNotEscapesAlone() {
    assertEquals("a\\0b\\", MountInfo.unescape("a\\0b\\".getBytes(UTF_8)));
    assertEquals("a\\8000", MountInfo.unescape("a\\8000".getBytes(UTF_8)));
  }
}
