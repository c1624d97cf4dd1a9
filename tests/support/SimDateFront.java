import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A byte relay in front of the simulator that rewrites each answer's {@code Date} header to the simulator's
 * clock. Needed because the JDK's HttpServer overwrites any Date a handler sets with the local time, so a
 * skewed server clock could not otherwise be shown to the client. Relies on the simulator's framing: every
 * answer has a Content-Length (or no body); never chunked.
 */
final class SimDateFront implements AutoCloseable {
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private final ServerSocket server;
    private final int upstreamPort;
    private final Supplier<Instant> clock;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sim-date-front");
        t.setDaemon(true);
        return t;
    });

    SimDateFront(int upstreamPort, Supplier<Instant> clock) throws IOException {
        this.upstreamPort = upstreamPort;
        this.clock = clock;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        threads.shutdownNow();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                threads.submit(() -> requests(client, upstream));
                threads.submit(() -> answers(upstream, client));
            } catch (IOException e) {
                if (server.isClosed()) return;
            }
        }
    }

    private static void requests(Socket client, Socket upstream) {
        try {
            client.getInputStream().transferTo(upstream.getOutputStream());
            upstream.shutdownOutput();
        } catch (IOException e) {
            closeBoth(client, upstream);
        }
    }

    private void answers(Socket upstream, Socket client) {
        try (upstream; client) {
            InputStream in = new java.io.BufferedInputStream(upstream.getInputStream());
            OutputStream out = client.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) return;
                StringBuilder rewritten = new StringBuilder();
                long length = 0;
                for (String line : head.split("\r\n", -1)) {
                    if (line.isEmpty()) continue;
                    String lower = line.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("date:")) line = "Date: " + HTTP_DATE.format(clock.get());
                    if (lower.startsWith("content-length:")) length = Long.parseLong(line.substring(15).strip());
                    if (lower.startsWith("transfer-encoding:")) throw new IOException("chunked answers are not relayed");
                    rewritten.append(line).append("\r\n");
                }
                out.write(rewritten.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
                byte[] buffer = new byte[8192];
                while (length > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, length));
                    if (n < 0) return;
                    out.write(buffer, 0, n);
                    length -= n;
                }
                out.flush();
            }
        } catch (IOException e) {
            // the connection ended
        }
    }

    /** The status line and headers up to the blank line, or null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) return null;
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void closeBoth(Socket a, Socket b) {
        try {
            a.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            b.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
