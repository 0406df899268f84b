package minisvc.runtime;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/** The one place every logging API of the recording runtime writes to: one line a record, one layout. */
public final class LineSink {
  public static final int TRACE = 0, DEBUG = 1, INFO = 2, WARN = 3, ERROR = 4, FATAL = 5, OFF = 6;
  private static final String[] NAMES = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
  private static final StackWalker WALKER = StackWalker.getInstance();

  private static final int THRESHOLD = levelOf(System.getProperty("minisvc.log.level", "INFO"));
  private static final long T0 = System.nanoTime();
  private static final LocalDateTime START = start();
  private static final PrintStream OUT = open();

  private LineSink() {}

  public static int levelOf(String name) {
    for (int i = 0; i < NAMES.length; i++) {
      if (NAMES[i].equalsIgnoreCase(name.trim())) {
        return i;
      }
    }
    return "OFF".equalsIgnoreCase(name.trim()) ? OFF : INFO;
  }

  public static boolean enabled(int level) {
    return level >= THRESHOLD;
  }

  public static int threshold() {
    return THRESHOLD;
  }

  private static LocalDateTime start() {
    String s = System.getProperty("minisvc.log.start");
    return s == null ? LocalDateTime.now() : LocalDateTime.parse(s, TS);
  }

  private static PrintStream open() {
    String file = System.getProperty("minisvc.log.file");
    if (file == null) {
      return System.out;
    }
    try {
      OutputStream out = new FileOutputStream(file, true);
      return new PrintStream(out, false, StandardCharsets.UTF_8);
    } catch (IOException e) {
      System.err.println("minisvc.runtime: cannot open " + file + ": " + e + "; logging to stdout");
      return System.out;
    }
  }

  /** Renders and writes one record when its level is enabled. */
  public static void emit(int level, Object message, Throwable t) {
    if (level < THRESHOLD) {
      return;
    }
    write(render(level, String.valueOf(message), t));
  }

  /** One record in the layout, the caller found by walking the stack past the logging frames. */
  public static String render(int level, String message, Throwable t) {
    Optional<StackWalker.StackFrame> caller = WALKER.walk(s -> s.filter(f -> !isLogging(f.getClassName())).findFirst());
    String cls = caller.map(f -> simple(f.getClassName())).orElse("?");
    int line = caller.map(StackWalker.StackFrame::getLineNumber).orElse(0);
    String ts = START.plusNanos(System.nanoTime() - T0).format(TS);
    StringBuilder sb = new StringBuilder(128);
    sb.append(ts).append(" - ").append(String.format("%-5s", NAMES[Math.min(level, FATAL)]))
        .append(" [").append(Thread.currentThread().getName()).append(':').append(cls).append('@').append(line)
        .append("] - ").append(message);
    if (t != null) {
      sb.append(System.lineSeparator()).append(t);
    }
    return sb.toString();
  }

  public static void write(String record) {
    synchronized (LineSink.class) {
      OUT.println(record);
      OUT.flush();
    }
  }

  private static boolean isLogging(String cls) {
    return cls.startsWith("minisvc.runtime.") || cls.startsWith("org.slf4j.") || cls.startsWith("org.apache.log4j.")
        || cls.startsWith("org.apache.commons.logging.") || cls.startsWith("java.util.logging.");
  }

  private static String simple(String cls) {
    return cls.substring(cls.lastIndexOf('.') + 1);
  }

  /** SLF4J message formatting: each `{}` takes the next argument (`\{}` is a literal); a trailing Throwable that
   * no placeholder took is the record's throwable, returned in `thrown[0]`. */
  public static String formatSlf4j(String pattern, Object[] args, Throwable[] thrown) {
    if (pattern == null) {
      return "null";
    }
    int n = args == null ? 0 : args.length;
    StringBuilder sb = new StringBuilder(pattern.length() + 32);
    int used = 0;
    int i = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      if (c == '\\' && pattern.startsWith("{}", i + 1)) {
        sb.append("{}");
        i += 3;
      } else if (c == '{' && pattern.startsWith("}", i + 1) && used < n) {
        sb.append(str(args[used++]));
        i += 2;
      } else {
        sb.append(c);
        i++;
      }
    }
    if (used < n && args[n - 1] instanceof Throwable) {
      thrown[0] = (Throwable) args[n - 1];
    }
    return sb.toString();
  }

  private static String str(Object o) {
    if (o instanceof Object[]) {
      return java.util.Arrays.deepToString((Object[]) o);
    }
    return String.valueOf(o);
  }
}
