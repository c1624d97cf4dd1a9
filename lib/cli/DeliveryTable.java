package lib.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import lib.hooks.Hooks;
import lib.util.Json;

/** A hook's deliveries as a table for people (stderr): time, event, action, status code, GUID, and why it failed. */
public final class DeliveryTable {
    private DeliveryTable() {}

    public static void print(PrintWriter err, Iterable<JsonNode> deliveries) {
        err.printf("%-20s  %-12s  %-11s  %4s  %s%n", "TIME", "EVENT", "ACTION", "CODE", "GUID");
        for (JsonNode d : deliveries) {
            err.printf("%-20s  %-12s  %-11s  %4s  %s%s%n", cell(d, "delivered_at"), cell(d, "event"), cell(d, "action"),
                    d.path("status_code").asInt(), cell(d, "guid"), Hooks.succeeded(d) ? "" : "  (" + cell(d, "status") + ")");
        }
        err.flush();
    }

    private static String cell(JsonNode d, String field) {
        String t = Json.text(d, field);
        return t == null ? "-" : t;
    }
}
