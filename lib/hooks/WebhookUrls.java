package lib.hooks;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;
import lib.util.BadInputException;

/** Checks a webhook delivery URL (WEBHOOK_URL) before it is sent to GitHub. */
public final class WebhookUrls {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private WebhookUrls() {}

    /** The URL itself when it is an absolute http(s) URL with a host; a usage error (exit 2) otherwise. */
    public static URI requireHttp(String url, String source) {
        if (url == null || url.isBlank()) {
            throw new BadInputException("no webhook URL: set WEBHOOK_URL or pass --url https://...");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new BadInputException(source + " is not a valid URL: '" + url + "' (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new BadInputException(source + " must be an absolute http:// or https:// URL with a host, not '"
                    + url + "'");
        }
        return uri;
    }

    /**
     * True when the host is a loopback, private, link-local or unspecified address, or a
     * {@code localhost} name: github.com refuses to deliver there (GHES and test servers may not).
     * Names other than localhost are not resolved.
     */
    public static boolean isLocalOrPrivate(URI uri) {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        if (host.equals("localhost") || host.endsWith(".localhost")) return true;
        if (!IPV4.matcher(host).matches() && !host.contains(":")) return false;
        try {
            InetAddress a = InetAddress.getByName(host); // a literal: no DNS lookup
            byte[] b = a.getAddress();
            boolean uniqueLocalV6 = b.length == 16 && (b[0] & 0xfe) == 0xfc;
            boolean sharedV4 = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64; // 100.64.0.0/10
            return a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
                    || uniqueLocalV6 || sharedV4;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
