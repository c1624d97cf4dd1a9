import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * HTTP/1.1 by hand over plain sockets on loopback, for tests that must send what a normal client never does:
 * headers or a body one byte at a time, both Content-Length and Transfer-Encoding, a declared length never sent.
 */
final class RawHttp {
    private RawHttp() {}

    /** A status line's code and the body after it (-1: the connection ended, or was reset, before an answer). */
    record Response(int status, String body) {}

    static Socket connect(URI url) throws IOException {
        Socket s = new Socket(url.getHost(), url.getPort());
        s.setSoTimeout(15_000);
        s.setTcpNoDelay(true);
        return s;
    }

    /** A POST of {@code body} to the URL's path, signed with the test secret, as GitHub sends a delivery. */
    static byte[] signedPost(URI url, String deliveryId, byte[] body) {
        return concat(head("POST", url, "X-GitHub-Event: workflow_run", "X-GitHub-Delivery: " + deliveryId,
                "X-Hub-Signature-256: " + Deliveries.sign(body), "Content-Type: application/json",
                "Content-Length: " + body.length), body);
    }

    /** A request line and headers (Host added), ending with the blank line. */
    static byte[] head(String method, URI url, String... headers) {
        StringBuilder b = new StringBuilder(method + " " + url.getPath() + " HTTP/1.1\r\nHost: " + url.getHost() + "\r\n");
        for (String h : headers) b.append(h).append("\r\n");
        return b.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Sends {@code request} on a new connection and reads one answer. */
    static Response send(URI url, byte[] request) throws IOException {
        try (Socket s = connect(url)) {
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            return read(s.getInputStream());
        }
    }

    /** Reads one answer: status line, headers, a Content-Length body. Status -1 when the connection ends first. */
    static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        try {
            while ((c = in.read()) >= 0) {
                head.write(c);
                byte[] h = head.toByteArray();
                int n = h.length;
                if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') break;
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException reset) {
            return new Response(-1, "");
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (!text.endsWith("\r\n\r\n")) return new Response(-1, "");
        String[] lines = text.split("\r\n");
        int length = 0;
        for (String l : lines) {
            if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(l.substring(15).trim());
        }
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        return new Response(Integer.parseInt(lines[0].split(" ")[1]), body);
    }

    /**
     * Seconds until the server closed (or reset) the connection, reading and discarding what it sends; NaN when it
     * was still open after {@code max}.
     */
    static double secondsUntilClosed(Socket s, long sinceNanos, Duration max) throws IOException {
        long deadline = System.nanoTime() + max.toNanos();
        s.setSoTimeout(100);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while (System.nanoTime() < deadline) {
            try {
                if (in.read(buf) < 0) break;
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException reset) {
                break;
            }
        }
        if (System.nanoTime() >= deadline) return Double.NaN;
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    /**
     * Sends each connection's bytes one at a time, one byte per connection every {@code tick}, on one thread, until
     * each is sent out or its connection fails (the server closed it). What a slow client does.
     */
    static final class Dribbler implements AutoCloseable {
        private record Slow(Socket socket, byte[] bytes, int[] sent) {}

        private final List<Slow> slow = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean stop;

        Dribbler(Duration tick) {
            thread = new Thread(() -> {
                while (!stop) {
                    for (Slow s : slow) {
                        if (s.sent()[0] >= s.bytes().length) continue;
                        try {
                            OutputStream out = s.socket().getOutputStream();
                            out.write(s.bytes()[s.sent()[0]]);
                            out.flush();
                            s.sent()[0]++;
                        } catch (IOException closed) {
                            s.sent()[0] = s.bytes().length;
                        }
                    }
                    try {
                        Thread.sleep(tick.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "dribbler");
            thread.setDaemon(true);
            thread.start();
        }

        void add(Socket socket, byte[] bytes) {
            slow.add(new Slow(socket, bytes, new int[1]));
        }

        @Override
        public void close() {
            stop = true;
            thread.interrupt();
            for (Slow s : slow) {
                try {
                    s.socket().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }
}
