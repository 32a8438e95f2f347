package io.layerstore.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * How a command is declared: its picocli {@link CommandSpec}, built in code (no annotations, no
 * reflection at start-up), whose user object is the {@link Action} that runs it; a {@link Group}
 * holds several. Every command group builds its commands with these helpers, so no flag is parsed
 * by hand anywhere.
 */
final class Cli {

  private Cli() {}

  /**
   * A group of commands: their names, and the spec of each, built only for the command that runs.
   */
  interface Group {
    /** The names of this group's commands. */
    List<String> names();

    /** The spec of the command {@code name}: options, arguments, help; its {@link Action}. */
    CommandSpec spec(String name);
  }

  /** What a command does with its parsed arguments; returns the exit status. */
  interface Action {
    int run(Main.Context ctx, ParseResult args) throws IOException;
  }

  /** The action of a command made by {@link #command}. */
  static Action action(CommandSpec spec) {
    return (Action) spec.userObject();
  }

  /**
   * A command with {@code --help} (and {@code -h}, unless the command uses {@code -h} itself).
   *
   * @param synopsis what follows {@code layerstore NAME} in the usage line, docker style
   */
  static CommandSpec command(
      String name, String synopsis, String description, Action action, boolean shortHelp) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(action).name(name);
    spec.usageMessage().customSynopsis(synopsis).description(description);
    spec.addOption(
        OptionSpec.builder(shortHelp ? new String[] {"-h", "--help"} : new String[] {"--help"})
            .usageHelp(true)
            .description("Print usage")
            .build());
    return spec;
  }

  static CommandSpec command(String name, String synopsis, String description, Action action) {
    return command(name, synopsis, description, action, true);
  }

  /** A flag without a value. */
  static OptionSpec flag(String description, String... names) {
    return OptionSpec.builder(names)
        .arity("0")
        .type(boolean.class)
        .description(description)
        .build();
  }

  /**
   * An option with one value, checked by {@code converter} when it is parsed.
   *
   * @param label the value's name in help, docker style: {@code string}, {@code int}, ...
   */
  static <T> OptionSpec option(
      Class<T> type,
      ITypeConverter<T> converter,
      String label,
      String description,
      String... names) {
    OptionSpec.Builder b =
        OptionSpec.builder(names).arity("1").type(type).paramLabel(label).description(description);
    if (converter != null) {
      b.converters(converter);
    }
    return b.build();
  }

  /** {@code -o, --output path}: the file a command writes (save, export). */
  static OptionSpec output() {
    return option(
        Path.class, Types.PATH, "path", "Write to a file, instead of stdout", "-o", "--output");
  }

  /** A string option with one value. */
  static OptionSpec option(String label, String description, String... names) {
    return option(String.class, null, label, description, names);
  }

  /** An option that may be given many times; its values in order. */
  static OptionSpec repeated(
      ITypeConverter<String> converter, String label, String description, String... names) {
    OptionSpec.Builder b =
        OptionSpec.builder(names)
            .arity("1")
            .type(List.class)
            .auxiliaryTypes(String.class)
            .paramLabel(label)
            .description(description);
    if (converter != null) {
      b.converters(converter);
    }
    return b.build();
  }

  /** Positional parameters: {@code arity} like {@code "1"}, {@code "0..1"}, {@code "1..*"}. */
  static <T> PositionalParamSpec args(
      String index, String arity, Class<T> type, ITypeConverter<T> converter, String label) {
    boolean many = arity.endsWith("*") || !arity.equals("1") && !arity.equals("0..1");
    PositionalParamSpec.Builder b =
        PositionalParamSpec.builder().index(index).arity(arity).paramLabel(label);
    b.required(!arity.startsWith("0"));
    if (many) {
      b.type(List.class).auxiliaryTypes(type);
    } else {
      b.type(type);
    }
    if (converter != null) {
      b.converters(converter);
    }
    return b.build();
  }

  static PositionalParamSpec args(String index, String arity, String label) {
    return args(index, arity, String.class, null, label);
  }

  // --- reading the parsed arguments ---

  static boolean has(ParseResult r, String option) {
    return r.hasMatchedOption(option);
  }

  static <T> T value(ParseResult r, String option, T otherwise) {
    return r.matchedOptionValue(option, otherwise);
  }

  static List<String> values(ParseResult r, String option) {
    return r.matchedOptionValue(option, List.of());
  }

  /** Every positional value, converted, in order. */
  @SuppressWarnings("unchecked")
  static <T> List<T> positionals(ParseResult r) {
    List<T> all = new ArrayList<>();
    for (PositionalParamSpec p : r.commandSpec().positionalParameters()) {
      Object v = p.getValue();
      if (v instanceof Collection<?> c) {
        all.addAll((Collection<T>) c);
      } else if (v != null) {
        all.add((T) v);
      }
    }
    return all;
  }

  // --- help, docker style ---

  /** The usage line: {@code Usage: layerstore NAME SYNOPSIS}. */
  static String usageLine(CommandSpec spec) {
    String synopsis = String.join(" ", spec.usageMessage().customSynopsis());
    return ("Usage:  " + qualifiedName(spec) + " " + synopsis).stripTrailing();
  }

  /** {@code layerstore NAME}: a command's spec is parsed on its own, without its parent. */
  static String qualifiedName(CommandSpec spec) {
    return spec.name().equals(Main.NAME) ? Main.NAME : Main.NAME + " " + spec.name();
  }

  /** {@code layerstore NAME --help}: usage line, description, aligned options. */
  static String help(CommandSpec spec) {
    StringBuilder s = new StringBuilder();
    s.append(usageLine(spec)).append("\n\n");
    s.append(String.join("\n", spec.usageMessage().description())).append("\n");
    List<String[]> rows = new ArrayList<>();
    List<OptionSpec> options = new ArrayList<>(spec.options());
    options.sort((a, b) -> Boolean.compare(a.usageHelp(), b.usageHelp())); // --help last
    for (OptionSpec o : options) {
      if (o.hidden()) {
        continue;
      }
      String shortName = null;
      String longName = null;
      for (String n : o.names()) {
        if (n.startsWith("--")) {
          longName = longName == null ? n : longName;
        } else {
          shortName = shortName == null ? n : shortName;
        }
      }
      String names =
          (shortName == null ? "    " : shortName + (longName == null ? "  " : ", "))
              + (longName == null ? "" : longName);
      if (o.arity().max() > 0) {
        names += " " + o.paramLabel();
      }
      rows.add(new String[] {names, String.join(" ", o.description())});
    }
    if (!rows.isEmpty()) {
      int width = 0;
      for (String[] r : rows) {
        width = Math.max(width, r[0].length());
      }
      s.append("\nOptions:\n");
      for (String[] r : rows) {
        s.append("  ").append(r[0]).append(" ".repeat(width - r[0].length() + 3));
        s.append(r[1]).append('\n');
      }
    }
    return s.toString();
  }
}
