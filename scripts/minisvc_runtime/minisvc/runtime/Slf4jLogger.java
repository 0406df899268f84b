package minisvc.runtime;

import org.slf4j.Logger;

/** SLF4J Logger backed by the line sink. */
public final class Slf4jLogger implements Logger {
  private final String name;

  public Slf4jLogger(String name) {
    this.name = name;
  }

  public String getName() { return name; }

  private static void log(int level, String msg, Object[] args) {
    if (!LineSink.enabled(level)) {
      return;
    }
    Throwable[] thrown = new Throwable[1];
    String text = LineSink.formatSlf4j(msg, args, thrown);
    LineSink.emit(level, text, thrown[0]);
  }

  public boolean isTraceEnabled() { return LineSink.enabled(LineSink.TRACE); }
  public void trace(String msg) { log(LineSink.TRACE, msg, null); }
  public void trace(String msg, Object a) { log(LineSink.TRACE, msg, new Object[] {a}); }
  public void trace(String msg, Object a, Object b) { log(LineSink.TRACE, msg, new Object[] {a, b}); }
  public void trace(String msg, Object... args) { log(LineSink.TRACE, msg, args); }
  public void trace(String msg, Throwable t) { log(LineSink.TRACE, msg, new Object[] {t}); }

  public boolean isDebugEnabled() { return LineSink.enabled(LineSink.DEBUG); }
  public void debug(String msg) { log(LineSink.DEBUG, msg, null); }
  public void debug(String msg, Object a) { log(LineSink.DEBUG, msg, new Object[] {a}); }
  public void debug(String msg, Object a, Object b) { log(LineSink.DEBUG, msg, new Object[] {a, b}); }
  public void debug(String msg, Object... args) { log(LineSink.DEBUG, msg, args); }
  public void debug(String msg, Throwable t) { log(LineSink.DEBUG, msg, new Object[] {t}); }

  public boolean isInfoEnabled() { return LineSink.enabled(LineSink.INFO); }
  public void info(String msg) { log(LineSink.INFO, msg, null); }
  public void info(String msg, Object a) { log(LineSink.INFO, msg, new Object[] {a}); }
  public void info(String msg, Object a, Object b) { log(LineSink.INFO, msg, new Object[] {a, b}); }
  public void info(String msg, Object... args) { log(LineSink.INFO, msg, args); }
  public void info(String msg, Throwable t) { log(LineSink.INFO, msg, new Object[] {t}); }

  public boolean isWarnEnabled() { return LineSink.enabled(LineSink.WARN); }
  public void warn(String msg) { log(LineSink.WARN, msg, null); }
  public void warn(String msg, Object a) { log(LineSink.WARN, msg, new Object[] {a}); }
  public void warn(String msg, Object a, Object b) { log(LineSink.WARN, msg, new Object[] {a, b}); }
  public void warn(String msg, Object... args) { log(LineSink.WARN, msg, args); }
  public void warn(String msg, Throwable t) { log(LineSink.WARN, msg, new Object[] {t}); }

  public boolean isErrorEnabled() { return LineSink.enabled(LineSink.ERROR); }
  public void error(String msg) { log(LineSink.ERROR, msg, null); }
  public void error(String msg, Object a) { log(LineSink.ERROR, msg, new Object[] {a}); }
  public void error(String msg, Object a, Object b) { log(LineSink.ERROR, msg, new Object[] {a, b}); }
  public void error(String msg, Object... args) { log(LineSink.ERROR, msg, args); }
  public void error(String msg, Throwable t) { log(LineSink.ERROR, msg, new Object[] {t}); }
}
