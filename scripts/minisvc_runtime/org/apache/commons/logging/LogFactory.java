package org.apache.commons.logging;

import minisvc.runtime.LineSink;

/** Hands out commons-logging logs backed by the recording runtime's line sink. */
public abstract class LogFactory {
  public static Log getLog(Class<?> cls) {
    return new SinkLog();
  }

  public static Log getLog(String name) {
    return new SinkLog();
  }

  private static final class SinkLog implements Log {
    public boolean isTraceEnabled() { return LineSink.enabled(LineSink.TRACE); }
    public boolean isDebugEnabled() { return LineSink.enabled(LineSink.DEBUG); }
    public boolean isInfoEnabled() { return LineSink.enabled(LineSink.INFO); }
    public boolean isWarnEnabled() { return LineSink.enabled(LineSink.WARN); }
    public boolean isErrorEnabled() { return LineSink.enabled(LineSink.ERROR); }
    public boolean isFatalEnabled() { return LineSink.enabled(LineSink.FATAL); }

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
}
