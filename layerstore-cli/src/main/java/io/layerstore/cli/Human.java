package io.layerstore.cli;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Sizes and durations the way the docker CLI prints them (go-units). */
final class Human {
  private static final String[] DECIMAL = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};

  private Human() {}

  /** {@code 4.08MB}: decimal units, three significant digits. */
  static String size(long bytes) {
    double v = bytes;
    int i = 0;
    while (v >= 1000 && i < DECIMAL.length - 1) {
      v /= 1000;
      i++;
    }
    return goG3(v) + DECIMAL[i];
  }

  /** Go's {@code %.3g} for 0 <= v < 1000. */
  private static String goG3(double v) {
    if (v == 0) {
      return "0";
    }
    java.math.BigDecimal bd = new java.math.BigDecimal(v).round(new java.math.MathContext(3));
    String s = bd.stripTrailingZeros().toPlainString();
    return s;
  }

  /** {@code 3 days}, {@code About an hour}, ... (append " ago" yourself). */
  static String duration(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < 1) {
      return "Less than a second";
    } else if (seconds == 1) {
      return "1 second";
    } else if (seconds < 60) {
      return seconds + " seconds";
    }
    long minutes = seconds / 60;
    if (minutes == 1) {
      return "About a minute";
    } else if (minutes < 60) {
      return minutes + " minutes";
    }
    long hours = (long) (seconds / 3600.0 + 0.5);
    if (hours == 1) {
      return "About an hour";
    } else if (hours < 48) {
      return hours + " hours";
    } else if (hours < 24 * 7 * 2) {
      return hours / 24 + " days";
    } else if (hours < 24 * 30 * 2) {
      return hours / 24 / 7 + " weeks";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 / 30 + " months";
    }
    return seconds / 3600 / 24 / 365 + " years";
  }

  /** Rows as columns padded like docker's tabwriter (three spaces between columns). */
  static String table(List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        w[c] = Math.max(w[c], r[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        line.append(r[c]);
        if (c < cols - 1) {
          line.append(" ".repeat(w[c] - r[c].length() + 3));
        }
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
