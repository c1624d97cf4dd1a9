package lib.warm;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A warm JVM: the launcher's warm start (JBANG_LAUNCHER_WARM=1, docs/launcher.md). Started ahead of a script's next
 * run, it does the script's work once into a scratch folder (the script's {@code static void warmUp(Path)}), then
 * waits in its folder for one run: a run claims it, hands over its arguments, and keeps its own standard streams
 * (stdout and stderr through FIFOs the run copies out, stdin opened only when read). The script's main then runs
 * here, and this JVM's exit is the run's exit. It serves only a run with its own environment, folder and umask.
 *
 * <pre>java [the script's JVM options and class path] lib.warm.WarmStart MAIN-CLASS FOLDER IDLE-SECONDS</pre>
 */
public final class WarmStart {
    /** The script has no warm-up: the JVM never gets ready, and the launcher starts no more for the build. */
    private static final int NO_WARM_UP = 78;
    private static final long HAND_OVER_SECONDS = 10;

    private WarmStart() {}

    public static void main(String[] args) throws Throwable {
        Class<?> script = Class.forName(args[0], false, WarmStart.class.getClassLoader());
        Path dir = Path.of(args[1]);
        long idleSeconds = Long.parseLong(args[2]);
        Method warmUp = staticMethod(script, "warmUp", Path.class);
        Method main = staticMethod(script, "main", String[].class);
        if (warmUp == null || main == null) {
            System.err.println("no warm start: " + script.getName() + " has no static warmUp(java.nio.file.Path) and main(String[])");
            System.exit(NO_WARM_UP);
        }

        warmUp(warmUp, dir.resolve("scratch"));
        new WarmRequest(ProcessHandle.current().pid(), new String[0]).mismatch();   // the check of a run, warm too
        Files.createFile(dir.resolve("ready"));
        Attached attached = new Attached();
        startGuard(dir, idleSeconds, attached);

        WarmRequest request = WarmRequest.read(dir.resolve("request"));
        String mismatch = request.mismatch();
        try (OutputStream reply = new FileOutputStream(dir.resolve("reply").toFile())) {
            reply.write(((mismatch == null ? "ok" : "no: " + mismatch) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        if (mismatch != null) System.exit(0);

        // The run holds the other ends of these FIFOs: opening them does not wait.
        PrintStream out = stream(dir.resolve("out"));
        PrintStream err = stream(dir.resolve("err"));
        System.setIn(new ClientStdin(request.pid()));
        System.setOut(out);
        System.setErr(err);
        attached.done = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { out.flush(); err.flush(); }));
        try {
            main.invoke(null, (Object) request.args());
        } catch (InvocationTargetException e) {
            throw e.getCause();   // reported and exited on as an uncaught exception of main, like a cold run
        }
    }

    /** The script's work once, into a scratch folder, with no streams of anyone's; then the folder goes. */
    private static void warmUp(Method warmUp, Path scratch) throws Throwable {
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        System.setIn(InputStream.nullInputStream());
        System.setOut(nowhere);
        System.setErr(nowhere);
        try {
            Files.createDirectories(scratch);
            warmUp.invoke(null, scratch);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            System.setOut(out);
            System.setErr(err);
            deleteTree(scratch);
        }
    }

    /**
     * Ends this JVM when no run came within the idle time (it claims itself first, so no run can claim it
     * meanwhile), or when a run that claimed it did not hand its streams over soon after (its launcher died).
     */
    private static void startGuard(Path dir, long idleSeconds, Attached attached) {
        Thread guard = new Thread(() -> {
            try {
                TimeUnit.SECONDS.sleep(idleSeconds);
                try {
                    Files.createFile(dir.resolve("claim"));
                    System.exit(0);
                } catch (FileAlreadyExistsException claimed) {
                    TimeUnit.SECONDS.sleep(HAND_OVER_SECONDS);
                    if (!attached.done) Runtime.getRuntime().halt(1);
                }
            } catch (IOException | InterruptedException e) {
                Runtime.getRuntime().halt(1);
            }
        }, "warm-start-guard");
        guard.setDaemon(true);
        guard.start();
    }

    private static final class Attached {
        volatile boolean done;
    }

    /** Like the JVM's own System.out: flushed at each line and each write of an array. */
    private static PrintStream stream(Path fifo) throws IOException {
        return new PrintStream(new BufferedOutputStream(new FileOutputStream(fifo.toFile()), 8192), true, stdoutCharset());
    }

    private static Charset stdoutCharset() {
        String name = System.getProperty("stdout.encoding");   // Java 19 and later name it; before, it is the default
        return name == null ? Charset.defaultCharset() : Charset.forName(name);
    }

    private static Method staticMethod(Class<?> type, String name, Class<?> parameter) {
        try {
            Method m = type.getDeclaredMethod(name, parameter);
            if (!Modifier.isStatic(m.getModifiers())) return null;
            m.setAccessible(true);
            return m;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(f);
        }
    }
}
