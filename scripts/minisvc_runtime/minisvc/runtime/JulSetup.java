package minisvc.runtime;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging configuration class (`-Djava.util.logging.config.class=minisvc.runtime.JulSetup`): the root
 * logger gets one handler whose Formatter renders records in the line sink's layout.
 */
public class JulSetup {
  public JulSetup() {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Handler h = new SinkHandler();
    h.setFormatter(new LineFormatter());
    root.addHandler(h);
    root.setLevel(toJul(LineSink.threshold()));
  }

  static int fromJul(Level level) {
    int v = level.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return LineSink.ERROR;
    }
    if (v >= Level.WARNING.intValue()) {
      return LineSink.WARN;
    }
    if (v >= Level.CONFIG.intValue()) {
      return LineSink.INFO;
    }
    return v >= Level.FINE.intValue() ? LineSink.DEBUG : LineSink.TRACE;
  }

  static Level toJul(int level) {
    switch (level) {
      case LineSink.TRACE: return Level.FINEST;
      case LineSink.DEBUG: return Level.FINE;
      case LineSink.INFO: return Level.INFO;
      case LineSink.WARN: return Level.WARNING;
      case LineSink.OFF: return Level.OFF;
      default: return Level.SEVERE;
    }
  }

  /** Renders a record in the sink's layout; `{0}`-style parameters via Formatter.formatMessage (MessageFormat). */
  public static final class LineFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      return LineSink.render(fromJul(record.getLevel()), formatMessage(record), record.getThrown());
    }
  }

  static final class SinkHandler extends Handler {
    @Override
    public void publish(LogRecord record) {
      if (isLoggable(record)) {
        LineSink.write(getFormatter().format(record));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
