package lib.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.zip.CRC32;
import lib.util.Json;

/**
 * One delivery as the journal keeps it: everything needed to store it again (its folder, delivery id,
 * event file name, when it was received, how it was verified, the header event) and the raw bytes.
 * On disk: {@code MAGIC, length, crc32, header length, header JSON, body}, all lengths as 4-byte ints;
 * a torn or damaged tail is recognised by its length or checksum and ends the segment.
 *
 * @param kind       "workflow_run" or "workflow_job": which kind of row the delivery gets
 * @param runId      the run the delivery is about
 * @param headerEvent the X-GitHub-Event header as received (may be null)
 * @param verifiedBy "hmac", a trusted source such as "github-api", or null for an unverified delivery
 */
public record JournalEntry(String kind, long runId, String folder, String deliveryId, String eventFile,
        Instant receivedAt, String verifiedBy, String headerEvent, byte[] body) {
    private static final int MAGIC = 0x4a524e31; // "JRN1"
    /** The kind of a segment's note that its deliveries' metadata merges of a folder are written ({@link Journal#noteMerged}). */
    static final String MERGE_NOTE = "metadata_merged";
    private static final int ONE_WRITE_BODY = 64 * 1024;

    /**
     * The record as buffers to write in order: its head (magic, length, checksum, header) and the body. A
     * large body is written from the delivery's own array, not copied (a 25 MB delivery stays one array in
     * memory); a small one is copied after the head, so the record takes one write.
     */
    ByteBuffer[] encode() {
        ObjectNode h = Json.object().put("kind", kind).put("run_id", runId).put("folder", folder).put("delivery_id", deliveryId)
                .put("event_file", eventFile).put("received_at", receivedAt.toString()).put("verified_by", verifiedBy)
                .put("header_event", headerEvent);
        byte[] header = Json.compact(h).getBytes(StandardCharsets.UTF_8);
        int payload = 4 + header.length + body.length;
        ByteBuffer head = ByteBuffer.allocate(16 + header.length).putInt(MAGIC).putInt(payload).putInt(0)
                .putInt(header.length).put(header);
        CRC32 crc = new CRC32();
        crc.update(head.array(), 12, 4 + header.length);
        crc.update(body);
        head.putInt(8, (int) crc.getValue()).flip();
        if (body.length > ONE_WRITE_BODY) return new ByteBuffer[] {head, ByteBuffer.wrap(body)};
        ByteBuffer record = ByteBuffer.allocate(head.remaining() + body.length).put(head).put(body);
        return new ByteBuffer[] {record.flip()};
    }

    /** The entry at the buffer's position, advancing past it; null at the end or at a torn or damaged record. */
    static JournalEntry decode(ByteBuffer in) {
        if (in.remaining() < 12) return null;
        int start = in.position();
        int magic = in.getInt();
        int payload = in.getInt();
        int crc = in.getInt();
        if (magic != MAGIC || payload < 4 || payload > in.remaining()) return endAt(in, start);
        byte[] content = new byte[payload];
        in.get(content);
        CRC32 check = new CRC32();
        check.update(content);
        if ((int) check.getValue() != crc) return endAt(in, start);
        ByteBuffer c = ByteBuffer.wrap(content);
        int headerLength = c.getInt();
        if (headerLength < 0 || headerLength > c.remaining()) return endAt(in, start);
        byte[] header = new byte[headerLength];
        c.get(header);
        byte[] body = new byte[c.remaining()];
        c.get(body);
        try {
            JsonNode h = Json.tree(header);
            return new JournalEntry(Json.text(h, "kind"), h.path("run_id").asLong(), Json.text(h, "folder"), Json.text(h, "delivery_id"),
                    Json.text(h, "event_file"), Instant.parse(Json.text(h, "received_at")), Json.text(h, "verified_by"),
                    Json.text(h, "header_event"), body);
        } catch (IOException | RuntimeException e) {
            return endAt(in, start);
        }
    }

    static JournalEntry mergeNote(String folder) {
        return new JournalEntry(MERGE_NOTE, 0, folder, null, null, Instant.EPOCH, null, null, new byte[0]);
    }

    boolean isMergeNote() {
        return MERGE_NOTE.equals(kind);
    }

    /** The same entry without its body: what a segment keeps in memory for its checkpoint. */
    JournalEntry withoutBody() {
        return new JournalEntry(kind, runId, folder, deliveryId, eventFile, receivedAt, verifiedBy, headerEvent, new byte[0]);
    }

    private static JournalEntry endAt(ByteBuffer in, int position) {
        in.position(position);
        return null;
    }
}
