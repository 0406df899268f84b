package org.apache.log4j;

import minisvc.runtime.LineSink;

/** The log4j 1 Logger, as far as the example service needs it (recording runtime only). */
public class Logger {
  private final String name;

  protected Logger(String name) {
    this.name = name;
  }

  public static Logger getLogger(Class<?> cls) {
    return new Logger(cls.getName());
  }

  public static Logger getLogger(String name) {
    return new Logger(name);
  }

  public String getName() { return name; }

  public boolean isTraceEnabled() { return LineSink.enabled(LineSink.TRACE); }
  public boolean isDebugEnabled() { return LineSink.enabled(LineSink.DEBUG); }
  public boolean isInfoEnabled() { return LineSink.enabled(LineSink.INFO); }

  public void trace(Object m) { LineSink.emit(LineSink.TRACE, m, null); }
  public void trace(Object m, Throwable t) { LineSink.emit(LineSink.TRACE, m, t); }
  public void debug(Object m) { LineSink.emit(LineSink.DEBUG, m, null); }
  public void debug(Object m, Throwable t) { LineSink.emit(LineSink.DEBUG, m, t); }
  public void info(Object m) { LineSink.emit(LineSink.INFO, m, null); }
  public void info(Object m, Throwable t) { LineSink.emit(LineSink.INFO, m, t); }
  public void warn(Object m) { LineSink.emit(LineSink.WARN, m, null); }
  public void warn(Object m, Throwable t) { LineSink.emit(LineSink.WARN, m, t); }
  public void error(Object m) { LineSink.emit(LineSink.ERROR, m, null); }
  public void error(Object m, Throwable t) { LineSink.emit(LineSink.ERROR, m, t); }
  public void fatal(Object m) { LineSink.emit(LineSink.FATAL, m, null); }
  public void fatal(Object m, Throwable t) { LineSink.emit(LineSink.FATAL, m, t); }
}
