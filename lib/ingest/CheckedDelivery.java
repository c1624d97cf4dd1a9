package lib.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import lib.webhook.WebhookDelivery;

/**
 * A delivery that passed {@link Ingest#check}: its signature verified (or explicitly skipped), its
 * payload parsed (the fields ingest uses: {@link lib.webhook.PayloadFields}), its event named (from the header, else from the payload's shape).
 *
 * @param id         the delivery id, or a stand-in derived from the bytes when none was given
 * @param verifiedBy "hmac", a trusted source such as "github-api", or null when stored unverified
 * @param problem    why an unverified delivery could not be verified (null when verified)
 */
public record CheckedDelivery(WebhookDelivery delivery, JsonNode payload, String event, String id, String verifiedBy,
        String problem) {
    public boolean verified() {
        return verifiedBy != null;
    }
}
