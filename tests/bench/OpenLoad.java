import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop HTTP load generator for the receiver, run in a process of its own
 * ({@code java tests/bench/OpenLoad.java URL DIR RATE SECONDS [CONNECTIONS] [PREFIX]}): it sends the pre-signed
 * deliveries of {@code DIR} (as {@code wrk-deliveries.lua} reads them: {@code bodies/<i>.json}, {@code sigs.txt}) at
 * a fixed rate, request k being due at {@code start + k / RATE} and sent on connection {@code k % CONNECTIONS}
 * (keep-alive), each with a unique X-GitHub-Delivery. A latency is measured from when the request was due, not from
 * when a busy connection got to send it, so a stalled receiver is charged for the requests it held back (the
 * coordinated-omission correction of wrk2). wrk, by contrast, keeps every connection busy: its latencies are those
 * of a saturated receiver. Prints the same {@code RESULT} line as the wrk script.
 */
public final class OpenLoad {
    private record Request(byte[] head, byte[] tail) {}

    private record Connection(Socket socket, InputStream in, OutputStream out) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: java OpenLoad.java URL DIR RATE SECONDS [CONNECTIONS] [PREFIX]");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        Path dir = Path.of(args[1]);
        double rate = Double.parseDouble(args[2]);
        double seconds = Double.parseDouble(args[3]);
        int connections = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        String prefix = args.length > 5 ? args[5] : "open";
        List<Request> requests = requests(dir);
        long total = (long) (rate * seconds);
        long start = System.nanoTime() + 50_000_000L;
        long[][] latencies = new long[connections][];
        int[] not2xx = new int[connections];
        int[] errors = new int[connections];
        long[] done = new long[connections];
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int conn = c;
            Thread t = new Thread(() -> {
                long[] mine = new long[(int) (total / connections + 1)];
                int n = 0;
                Connection socket = null;
                for (long k = conn; k < total; k += connections) {
                    long due = start + (long) (k * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) LockSupport.parkNanos(wait);
                    Request r = requests.get((int) (k % requests.size()));
                    try {
                        if (socket == null) socket = connect(url);
                        int status = exchange(socket, r, prefix + "-" + k);
                        if (status < 200 || status > 299) not2xx[conn]++;
                        mine[n++] = System.nanoTime() - due;
                    } catch (IOException e) {
                        errors[conn]++;
                        close(socket);
                        socket = null;
                    }
                }
                close(socket);
                latencies[conn] = Arrays.copyOf(mine, n);
                done[conn] = System.nanoTime();
            }, "load-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join();
        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        long end = Arrays.stream(done).max().orElse(start);
        double ms = 1e6;
        System.out.printf(Locale.ROOT, "RESULT rate=%.1f p50=%.3f p99=%.3f max=%.3f requests=%d not2xx=%d socket_errors=%d offered=%.1f%n",
                all.length / ((end - start) / 1e9), percentile(all, 50) / ms, percentile(all, 99) / ms,
                all.length == 0 ? 0 : all[all.length - 1] / ms, all.length, Arrays.stream(not2xx).sum(), Arrays.stream(errors).sum(), rate);
    }

    private static List<Request> requests(Path dir) throws IOException {
        List<String> sigs = Files.readAllLines(dir.resolve("sigs.txt"));
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < sigs.size(); i++) {
            byte[] body = Files.readAllBytes(dir.resolve("bodies").resolve(i + ".json"));
            String head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: workflow_run\r\nX-Hub-Signature-256: " + sigs.get(i)
                    + "\r\nContent-Length: " + body.length + "\r\nX-GitHub-Delivery: ";
            byte[] sep = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] tail = Arrays.copyOf(sep, sep.length + body.length);
            System.arraycopy(body, 0, tail, sep.length, body.length);
            out.add(new Request(head.getBytes(StandardCharsets.US_ASCII), tail));
        }
        if (out.isEmpty()) throw new IOException("no bodies in " + dir);
        return out;
    }

    private static Connection connect(URI url) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(url.getHost(), url.getPort()), 10_000);
        s.setSoTimeout(10_000);
        return new Connection(s, new BufferedInputStream(s.getInputStream()), s.getOutputStream());
    }

    /** Sends one request and reads its whole answer; returns the status. */
    private static int exchange(Connection c, Request r, String deliveryId) throws IOException {
        OutputStream out = c.out();
        byte[] id = deliveryId.getBytes(StandardCharsets.US_ASCII);
        byte[] msg = new byte[r.head().length + id.length + r.tail().length];
        System.arraycopy(r.head(), 0, msg, 0, r.head().length);
        System.arraycopy(id, 0, msg, r.head().length, id.length);
        System.arraycopy(r.tail(), 0, msg, r.head().length + id.length, r.tail().length);
        out.write(msg);
        out.flush();
        InputStream in = c.in();
        String status = line(in);
        int length = 0;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            if (h.regionMatches(true, 0, "content-length:", 0, 15)) length = Integer.parseInt(h.substring(15).strip());
        }
        if (in.readNBytes(length).length != length) throw new IOException("answer cut short");
        String[] parts = status.split(" ");
        if (parts.length < 2) throw new IOException("no status line: " + status);
        return Integer.parseInt(parts[1]);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new IOException("connection closed");
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }

    private static long percentile(long[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
    }

    private static void close(Connection c) {
        try {
            if (c != null) c.socket().close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
