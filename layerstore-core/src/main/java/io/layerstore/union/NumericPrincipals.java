package io.layerstore.union;

import java.io.IOException;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;

/**
 * Owners by number only. The union shows an image's root file system, whose user names live in its
 * own {@code /etc/passwd}, not the host's; so a principal's name is its decimal id ({@code
 * "1234"}), and only such names are looked up.
 */
final class NumericPrincipals extends UserPrincipalLookupService {

  /** A numeric user. */
  record User(long uid) implements UserPrincipal {
    @Override
    public String getName() {
      return Long.toString(uid);
    }

    @Override
    public String toString() {
      return getName();
    }
  }

  /** A numeric group. */
  record Group(long gid) implements GroupPrincipal {
    @Override
    public String getName() {
      return Long.toString(gid);
    }

    @Override
    public String toString() {
      return getName();
    }
  }

  @Override
  public UserPrincipal lookupPrincipalByName(String name) throws IOException {
    return new User(parse(name));
  }

  @Override
  public GroupPrincipal lookupPrincipalByGroupName(String group) throws IOException {
    return new Group(parse(group));
  }

  /** The uid of any user principal whose name is a number (ours or another provider's). */
  static long uid(UserPrincipal principal) throws IOException {
    if (principal instanceof User) {
      return ((User) principal).uid();
    }
    if (principal instanceof GroupPrincipal) {
      throw new IOException("'" + principal.getName() + "' is a group, not an owner");
    }
    return parse(principal.getName());
  }

  static long gid(GroupPrincipal principal) throws IOException {
    if (principal instanceof Group) {
      return ((Group) principal).gid();
    }
    return parse(principal.getName());
  }

  private static long parse(String name) throws UserPrincipalNotFoundException {
    try {
      long id = Long.parseLong(name);
      if (id >= 0 && id <= 0xffffffffL) {
        return id;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new UserPrincipalNotFoundException(name);
  }
}
