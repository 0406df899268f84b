package org.slf4j;

import minisvc.runtime.Slf4jLogger;

/** Hands out SLF4J loggers backed by the recording runtime's line sink. */
public final class LoggerFactory {
  private LoggerFactory() {}

  public static Logger getLogger(Class<?> cls) {
    return new Slf4jLogger(cls.getName());
  }

  public static Logger getLogger(String name) {
    return new Slf4jLogger(name);
  }
}
