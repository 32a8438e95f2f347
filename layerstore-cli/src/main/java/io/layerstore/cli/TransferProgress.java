package io.layerstore.cli;

import io.layerstore.TransferEvent;
import io.layerstore.TransferListener;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Draws a pull's or push's progress as docker does: one line per layer, in the order the layers
 * first appear. On a terminal every line is redrawn in place (the cursor moves up to it, the line
 * is cleared and rewritten, the cursor moves back down) with a progress bar while bytes move;
 * otherwise only changes of state are printed, one plain line each, as docker does when its output
 * is not a terminal. Events come from several threads: every method is synchronized.
 */
final class TransferProgress implements TransferListener {

  private static final int BAR = 50;

  private final PrintStream out;
  private final boolean terminal;
  private final List<String> order = new ArrayList<>();
  private final Map<String, String> lines = new HashMap<>();
  private final Map<String, TransferEvent.Kind> states = new HashMap<>();
  private int downloaded;
  private long manifestSize = -1;

  TransferProgress(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  @Override
  public synchronized void onEvent(TransferEvent e) {
    if (e.kind() == TransferEvent.Kind.MANIFEST_PUSHED) {
      // Not a layer: told in the push's last line.
      manifestSize = e.total();
      return;
    }
    String id = e.shortId();
    if (e.kind() == TransferEvent.Kind.DONE || e.kind() == TransferEvent.Kind.PUSHED) {
      downloaded++;
    }
    String line = id + ": " + text(e);
    TransferEvent.Kind before = states.put(id, e.kind());
    if (!terminal) {
      if (before != e.kind()) {
        out.println(line);
      }
      return;
    }
    int at = order.indexOf(id);
    if (at < 0) {
      order.add(id);
      lines.put(id, line);
      out.print(line + "\n");
    } else if (!line.equals(lines.get(id))) {
      lines.put(id, line);
      int up = order.size() - at;
      // Up to the layer's line, clear it, write it, and back down below the last line.
      out.print("\033[" + up + "A\r\033[2K" + line + "\r\033[" + up + "B");
    }
    out.flush();
  }

  /** The length of the manifest a push stored, or -1 before the registry has it. */
  synchronized long manifestSize() {
    return manifestSize;
  }

  /** How many layers were downloaded (pull) or uploaded (push). */
  synchronized int transferred() {
    return downloaded;
  }

  /** Docker's words for the step, with its bar and byte counts while bytes move. */
  private String text(TransferEvent e) {
    return switch (e.kind()) {
      case DOWNLOADING, PUSHING -> {
        String words = e.kind().dockerText();
        if (!terminal) {
          yield words;
        }
        yield words + " " + bar(e.current(), e.total());
      }
      case MOUNTED -> e.kind().dockerText() + " " + e.detail();
      default -> e.kind().dockerText();
    };
  }

  /** {@code [=====> ] 10.5MB/49.2MB}, as docker's jsonmessage draws it. */
  static String bar(long current, long total) {
    if (total <= 0) {
      return Human.size(current);
    }
    int filled = (int) Math.min(BAR, current * BAR / total);
    StringBuilder b = new StringBuilder("[");
    b.append("=".repeat(filled));
    if (filled < BAR) {
      b.append('>').append(" ".repeat(BAR - filled - 1));
    }
    b.append("]  ").append(Human.size(current)).append('/').append(Human.size(total));
    return b.toString();
  }
}
