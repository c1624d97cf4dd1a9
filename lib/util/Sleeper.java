package lib.util;

import java.time.Duration;

/** Waits between attempts and polls; tests pass one that records or returns at once. */
@FunctionalInterface
public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;

    Sleeper REAL = d -> Thread.sleep(d.toMillis());
}
