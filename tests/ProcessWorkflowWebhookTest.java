import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Hmac;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessWorkflowWebhookTest {
    static final String SECRET = "0123456789abcdef-test-secret-never-printed";
    static final String CORR = "2f1c7a9e-5d4b-4c3a-8e21-7b6a5f4e3d2c";
    static final long RUN = 9876543210L;

    @TempDir Path tmp;
    Path runs;
    Path secretFile;

    @BeforeEach
    void setUp() throws IOException {
        runs = tmp.resolve("runs");
        secretFile = tmp.resolve("secret");
        Files.writeString(secretFile, SECRET + "\n");
    }

    // --- helpers -------------------------------------------------------------------------

    Testing.Run ingest(byte[] body, String... args) throws IOException {
        return ingestWith(Map.of(), body, args);
    }

    Testing.Run ingestWith(Map<String, String> env, byte[] body, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--runs-dir", runs.toString(), "--state-dir", tmp.resolve("state").toString()));
        all.addAll(List.of(args));
        return Testing.ingest(env, body, all.toArray(String[]::new));
    }

    /** Args for a properly signed delivery with the given id. */
    String[] signed(byte[] body, String deliveryId, String... more) {
        List<String> a = new ArrayList<>(List.of("--secret-file", secretFile.toString(),
                "--signature", Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body),
                "--delivered", deliveryId, "--event", "workflow_run"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    JsonNode out(Testing.Run r) {
        return Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
    }

    JsonNode read(Path p) throws IOException {
        return Json.read(p);
    }

    void writeMetadata(String name, String json) throws IOException {
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(name), json);
    }

    List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    // --- the main path -------------------------------------------------------------------

    @Test
    void storesAVerifiedDeliveryAndRecordsTheRunIdInTheMetadata() throws IOException {
        writeMetadata(CORR + ".json", "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null,\"branch\":\"main\",\"webhook_pending\":true}");
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);

        Testing.Run r = ingest(body, signed(body, "d-1"));

        assertEquals(0, r.exitCode(), r.err());
        JsonNode summary = out(r);
        assertEquals(CORR, summary.get("correlation_id").asText());
        assertEquals(RUN, summary.get("run_id").asLong());
        assertEquals("queued", summary.get("status").asText());
        assertTrue(summary.get("verified").asBoolean());
        assertEquals("workflow_run", summary.get("event").asText());
        assertEquals("d-1", summary.get("delivery_id").asText());
        assertFalse(summary.has("duplicate"));

        Path stored = Path.of(summary.get("stored").asText());
        assertTrue(stored.startsWith(runs.resolve(CORR).resolve("webhook/events")));
        assertTrue(stored.getFileName().toString().matches("\\d{8}T\\d{6}\\.\\d{3}Z-d-1\\.json"));
        assertArrayEquals(body, Files.readAllBytes(stored), "the raw bytes are kept byte for byte");

        JsonNode index = read(runs.resolve(CORR).resolve("webhook/index.json"));
        assertEquals(1, index.size());
        JsonNode row = index.get(0);
        assertEquals(RUN, row.get("run_id").asLong());
        assertEquals(1, row.get("run_attempt").asInt());
        assertEquals("queued", row.get("status").asText());
        assertEquals("requested", row.get("action").asText());
        assertEquals("workflow_run", row.get("event").asText());
        assertEquals("d-1", row.get("delivery_id").asText());
        assertTrue(row.get("verified").asBoolean());
        assertTrue(row.has("received_at") && row.has("conclusion"));
        assertEquals("events/" + stored.getFileName(), row.get("file").asText());
        assertEquals("Dispatch Webhook (" + CORR + ")", row.get("display_title").asText());
        assertEquals("", row.get("run_name").asText(), "GitHub's empty name is kept as sent");
        assertEquals("main", row.get("head_branch").asText());
        assertEquals("workflow_dispatch", row.get("trigger_event").asText());
        assertEquals("octo-org/octo-repo", row.get("repository").asText());
        assertTrue(row.get("html_url").asText().endsWith("/actions/runs/" + RUN));

        JsonNode meta = read(runs.resolve(CORR + ".json"));
        assertEquals("main", meta.get("branch").asText(), "prior keys are kept");
        assertEquals(RUN, meta.get("webhook_run_id").asLong());
        assertEquals(RUN, meta.get("run_id").asLong());
        assertFalse(meta.get("webhook_pending").asBoolean());
        assertEquals("d-1", meta.get("webhook_deliveries").get(0).asText());
        assertFalse(Files.exists(runs.resolve("webhook_orphans")));
    }

    @Test
    void readsThePayloadFromAFileAndHeadersFromACapturedHeadersFile() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Path payload = Files.write(tmp.resolve("payload.json"), body);
        Path headers = Files.writeString(tmp.resolve("headers.txt"),
                "x-github-event: workflow_run\nX-GitHub-Delivery: from-file\nx-hub-signature-256: "
                        + Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body) + "\n");
        Testing.Run r = ingest(new byte[0], "--file", payload.toString(), "--headers", headers.toString(),
                "--secret-file", secretFile.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("from-file", out(r).get("delivery_id").asText());
        assertEquals("completed", out(r).get("status").asText());
    }

    @Test
    void flagsOverrideTheHeadersFile() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Path headers = Files.writeString(tmp.resolve("headers.json"),
                "{\"X-Hub-Signature-256\": [\"sha256=" + "0".repeat(64) + "\"], \"X-GitHub-Delivery\": \"json-id\"}");
        Testing.Run r = ingest(body, signed(body, "flag-id", "--headers", headers.toString()));
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("flag-id", out(r).get("delivery_id").asText());
    }

    @Test
    void secretComesFromTheEnvironmentOrTheStateFolderWhenNoFileIsGiven() throws IOException {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        String sig = Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body);
        Testing.Run fromEnv = ingestWith(Map.of("GITHUB_WEBHOOK_SECRET", SECRET), body, "--signature", sig, "--delivered", "e1");
        assertEquals(0, fromEnv.exitCode(), fromEnv.err());

        Files.createDirectories(tmp.resolve("state"));
        Files.writeString(tmp.resolve("state/webhook-secret"), SECRET + "\n");
        Testing.Run fromState = ingest(body, "--signature", sig, "--delivered", "e2");
        assertEquals(0, fromState.exitCode(), fromState.err());

        Testing.Run fileWins = ingestWith(Map.of("GITHUB_WEBHOOK_SECRET", "wrong"), body, signed(body, "e3"));
        assertEquals(0, fileWins.exitCode(), fileWins.err());
    }

    @Test
    void theEnvironmentsSecretWinsOverTheStateFolders() throws IOException {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        String sig = Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body);
        Files.createDirectories(tmp.resolve("state"));
        Files.writeString(tmp.resolve("state/webhook-secret"), "a-different-state-secret\n");

        Testing.Run envRight = ingestWith(Map.of("GITHUB_WEBHOOK_SECRET", SECRET), body, "--signature", sig, "--delivered", "p1");
        assertEquals(0, envRight.exitCode(), envRight.err());
        assertTrue(out(envRight).get("verified").asBoolean());

        // The other way round: the environment's (wrong) secret is used, not the state folder's right one.
        Files.writeString(tmp.resolve("state/webhook-secret"), SECRET + "\n");
        Testing.Run envWrong = ingestWith(Map.of("GITHUB_WEBHOOK_SECRET", "a-different-env-secret"), body,
                "--signature", sig, "--delivered", "p2");
        assertEquals(3, envWrong.exitCode(), envWrong.all());
        assertFalse(envWrong.all().contains(SECRET));
    }

    /** An event file already at the exact name a delivery would get (same clock, same id) is kept as it is. */
    /** The launcher's warm start runs this: a verified ingest, all of it inside the scratch folder it is given. */
    @Test
    void theWarmUpIngestsAVerifiedDeliveryInsideItsScratchFolderOnly() throws IOException {
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        List<Path> before;
        try (Stream<Path> files = Files.walk(tmp)) {
            before = files.filter(f -> !f.startsWith(scratch)).toList();
        }
        ProcessWorkflowWebhook.warmUp(scratch);
        Path orphan = scratch.resolve("runs/webhook_orphans/1.json");
        assertTrue(Files.isRegularFile(orphan), "the delivery was stored as an orphan (no dispatch record)");
        try (Stream<Path> files = Files.walk(scratch.resolve("runs"))) {
            List<Path> events = files.filter(f -> f.getFileName().toString().endsWith("-warm-up.json")).toList();
            assertEquals(1, events.size(), events.toString());
            assertTrue(events.get(0).startsWith(scratch.resolve("runs/00000000-0000-4000-8000-000000000000/webhook/events")), events.toString());
        }
        JsonNode row = Json.read(scratch.resolve("runs/00000000-0000-4000-8000-000000000000/webhook/index.json"));
        assertTrue(row.toString().contains("\"verified\":true"), row.toString());
        try (Stream<Path> files = Files.walk(tmp)) {
            assertEquals(before, files.filter(f -> !f.startsWith(scratch)).toList(), "nothing outside the scratch folder");
        }
    }

    @Test
    void anExistingEventFileWithTheTargetNameIsNeverOverwritten() throws IOException {
        java.time.Instant at = java.time.Instant.parse("2026-01-02T03:04:05.678Z");
        Path existing = runs.resolve(CORR).resolve("webhook/events/20260102T030405.678Z-same-id.json");
        Files.createDirectories(existing.getParent());
        byte[] earlier = "{\"earlier\": \"bytes\"}".getBytes(StandardCharsets.UTF_8);
        Files.write(existing, earlier);

        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        ProcessWorkflowWebhook cmd = new ProcessWorkflowWebhook();
        cmd.env = Map.of();
        cmd.stdin = new ByteArrayInputStream(body);
        cmd.clock = java.time.Clock.fixed(at, java.time.ZoneOffset.UTC);
        List<String> args = new ArrayList<>(List.of("--runs-dir", runs.toString(), "--state-dir", tmp.resolve("state").toString()));
        args.addAll(List.of(signed(body, "same-id")));
        Testing.Run r = Testing.run(cmd, args.toArray(String[]::new));

        assertArrayEquals(earlier, Files.readAllBytes(existing), "the earlier file is untouched; exit " + r.exitCode() + " " + r.all());
        try (Stream<Path> files = Files.list(existing.getParent())) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.endsWith(".tmp")), "no temp file left: " + names);
        }
    }

    @Test
    void acceptsGitHubsFormEncodingSignedOverTheEncodedBody() throws IOException {
        String json = new String(Fixtures.workflowRun("requested", CORR, RUN), StandardCharsets.UTF_8);
        byte[] form = ("payload=" + URLEncoder.encode(json, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        Testing.Run r = ingest(form, signed(form, "form-1"));
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(RUN, out(r).get("run_id").asLong());
        assertArrayEquals(form, Files.readAllBytes(Path.of(out(r).get("stored").asText())));

        byte[] signedOverJson = json.getBytes(StandardCharsets.UTF_8);
        Testing.Run wrong = ingest(form, "--secret-file", secretFile.toString(), "--delivered", "form-2",
                "--signature", Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), signedOverJson));
        assertEquals(3, wrong.exitCode());
    }

    // --- verification --------------------------------------------------------------------

    @Test
    void tamperedBytesExitThreeAndStoreNothing() throws IOException {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        String[] args = signed(body, "t-1");
        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("queued", "complet").getBytes(StandardCharsets.UTF_8);
        Testing.Run r = ingest(tampered, args);
        assertEquals(3, r.exitCode());
        assertTrue(r.err().contains("does not match"), r.err());
        assertEquals("", r.out());
        assertFalse(Files.exists(runs), "nothing stored");
    }

    @Test
    void missingSignatureMissingSecretAndWrongPrefixExitThree() throws IOException {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        String hex = Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body).substring(7);
        Testing.Run noSig = ingest(body, "--secret-file", secretFile.toString(), "--delivered", "a");
        Testing.Run noSecret = ingest(body, "--signature", "sha256=" + hex, "--delivered", "b");
        Testing.Run noPrefix = ingest(body, "--secret-file", secretFile.toString(), "--signature", hex, "--delivered", "c");
        assertEquals(3, noSig.exitCode());
        assertTrue(noSig.err().contains("no X-Hub-Signature-256"), noSig.err());
        assertEquals(3, noSecret.exitCode());
        assertTrue(noSecret.err().contains("no webhook secret"), noSecret.err());
        assertEquals(3, noPrefix.exitCode());
        assertTrue(noPrefix.err().contains("sha256="), noPrefix.err());
        assertFalse(Files.exists(runs));
    }

    @Test
    void skipVerifyStoresUnverifiedDeliveries() throws IOException {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        Testing.Run r = ingest(body, "--skip-verify", "--delivered", "u-1");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(out(r).get("verified").asBoolean());
        assertTrue(r.err().contains("warning"));
        assertFalse(read(runs.resolve(CORR).resolve("webhook/index.json")).get(0).get("verified").asBoolean());
    }

    @Test
    void theSecretNeverAppearsInOutputOrStoredFiles() throws IOException {
        writeMetadata(CORR + ".json", "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        List<Testing.Run> runsMade = List.of(
                ingest(body, signed(body, "s-1", "--verbose")),
                ingest(body, "--secret-file", secretFile.toString(), "--signature", "sha256=" + "1".repeat(64), "--verbose"),
                ingest("[]".getBytes(), signed("[]".getBytes(), "s-2", "--verbose")));
        for (Testing.Run r : runsMade) assertFalse(r.all().contains(SECRET), r.all());
        for (Path f : filesUnder(runs)) {
            assertFalse(Files.readString(f, StandardCharsets.ISO_8859_1).contains(SECRET), f.toString());
        }
    }

    // --- event types ---------------------------------------------------------------------

    @Test
    void pingIsVerifiedAndAcknowledgedWithoutStoring() throws IOException {
        byte[] body = Fixtures.bytes("ping.json");
        Testing.Run r = ingest(body, "--secret-file", secretFile.toString(), "--delivered", "p-1",
                "--signature", Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body));
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("ping", out(r).get("event").asText());
        assertTrue(out(r).get("verified").asBoolean());
        assertFalse(Files.exists(runs));
    }

    @Test
    void workflowJobGetsGuidanceAndExitFour() throws IOException {
        byte[] body = Fixtures.bytes("workflow_job.queued.json");
        Testing.Run r = ingest(body, "--secret-file", secretFile.toString(), "--delivered", "j-1",
                "--signature", Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body));
        assertEquals(4, r.exitCode());
        assertTrue(r.err().contains("workflow_job") && r.err().contains("workflow_run delivery"), r.err());
        assertFalse(Files.exists(runs));
    }

    @Test
    void otherEventsExitFour() throws IOException {
        byte[] body = "{\"ref\":\"refs/heads/main\"}".getBytes();
        Testing.Run r = ingest(body, "--skip-verify", "--event", "push");
        assertEquals(4, r.exitCode());
        assertTrue(r.err().contains("'push'"), r.err());
        Testing.Run shapeless = ingest(body, "--skip-verify");
        assertEquals(4, shapeless.exitCode());
        assertTrue(shapeless.err().contains("no X-GitHub-Event header, and the payload is not a workflow_run delivery"),
                shapeless.err());
        assertFalse(Files.exists(runs));
    }

    // --- correlation and storage rules ---------------------------------------------------

    @Test
    void findsTheCorrelationInDisplayTitleWhenNameIsEmpty() throws IOException {
        String json = new String(Fixtures.workflowRun("requested", CORR, RUN), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"name\": \"\""), "fixture mirrors GitHub's empty name");
        Testing.Run r = ingest(json.getBytes(StandardCharsets.UTF_8), "--skip-verify", "--delivered", "x");
        assertEquals(CORR, out(r).get("correlation_id").asText());
    }

    @Test
    void withoutACorrelationTheDeliveryIsFiledUnderUnknown() throws IOException {
        byte[] body = new String(Fixtures.workflowRun("completed", CORR, RUN), StandardCharsets.UTF_8)
                .replace("Dispatch Webhook (" + CORR + ")", "Nightly build").getBytes(StandardCharsets.UTF_8);
        Testing.Run r = ingest(body, "--skip-verify", "--delivered", "n-1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(out(r).get("correlation_id").isNull());
        assertEquals(1, read(runs.resolve("unknown/webhook/index.json")).size());
        assertFalse(Files.exists(runs.resolve("webhook_orphans")));
    }

    @Test
    void customRunNamePatternFindsOtherRunNames() throws IOException {
        byte[] body = new String(Fixtures.workflowRun("completed", CORR, RUN), StandardCharsets.UTF_8)
                .replace("Dispatch Webhook (" + CORR + ")", "deploy " + CORR.toUpperCase()).getBytes(StandardCharsets.UTF_8);
        Testing.Run r = ingest(body, "--skip-verify", "--delivered", "c-1", "--run-name-pattern", "deploy (\\S+)");
        assertEquals(CORR, out(r).get("correlation_id").asText(), r.err());
        assertEquals(2, ingest(body, "--skip-verify", "--run-name-pattern", "deploy \\S+").exitCode());
    }

    @Test
    void anOrphanIsRecordedWhenTheMetadataFileIsMissing() throws IOException {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        assertEquals(0, ingest(body, signed(body, "o-1")).exitCode());
        JsonNode orphan = read(runs.resolve("webhook_orphans/" + RUN + ".json"));
        assertEquals(CORR, orphan.get("correlation_id").asText());
        assertEquals(RUN, orphan.get("webhook_run_id").asLong());
        assertFalse(Files.exists(runs.resolve(CORR + ".json")), "no metadata file is invented");
    }

    @Test
    void anUpperCaseMetadataFileFromOlderToolingIsFoundAndUpdated() throws IOException {
        writeMetadata(CORR.toUpperCase() + ".json", "{\"correlation_id\":\"" + CORR.toUpperCase() + "\",\"run_id\":null}");
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        assertEquals(0, ingest(body, signed(body, "up-1")).exitCode());
        assertEquals(RUN, read(runs.resolve(CORR.toUpperCase() + ".json")).get("webhook_run_id").asLong());
        assertFalse(Files.exists(runs.resolve("webhook_orphans")));
    }

    @Test
    void aDifferentRecordedRunIdIsNeverOverwrittenAndTheMismatchIsRecorded() throws IOException {
        writeMetadata(CORR + ".json", "{\"correlation_id\":\"" + CORR + "\",\"run_id\":111,\"dispatch_run_id\":111}");
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        Testing.Run r = ingest(body, signed(body, "m-1"));
        assertEquals(0, r.exitCode(), r.err());
        JsonNode meta = read(runs.resolve(CORR + ".json"));
        assertEquals(111, meta.get("run_id").asLong());
        assertEquals(RUN, meta.get("webhook_run_id").asLong());
        assertEquals(2, meta.get("webhook_mismatches").size());
        assertEquals("run_id", meta.get("webhook_mismatches").get(0).get("field").asText());
    }

    @Test
    void outOfOrderDeliveriesNeverMoveTheStatusBackwards() throws IOException {
        writeMetadata(CORR + ".json", "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        for (String action : List.of("requested", "completed", "in_progress")) {
            byte[] body = Fixtures.workflowRun(action, CORR, RUN);
            assertEquals(0, ingest(body, signed(body, "ooo-" + action)).exitCode());
        }
        JsonNode meta = read(runs.resolve(CORR + ".json"));
        assertEquals("completed", meta.get("webhook_status").asText());
        assertEquals("success", meta.get("webhook_conclusion").asText());
        assertEquals(3, meta.get("webhook_deliveries").size());
        assertEquals(3, read(runs.resolve(CORR).resolve("webhook/index.json")).size());
    }

    @Test
    void theSameDeliveryTwiceStoresNothingNew() throws IOException {
        writeMetadata(CORR + ".json", "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run first = ingest(body, signed(body, "dup-1"));
        Testing.Run second = ingest(body, signed(body, "dup-1"));
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(out(second).get("duplicate").asBoolean());
        assertEquals(out(first).get("stored").asText(), out(second).get("stored").asText());
        assertEquals(1, read(runs.resolve(CORR).resolve("webhook/index.json")).size());
        assertEquals(1, filesUnder(runs.resolve(CORR).resolve("webhook/events")).size());
        assertEquals(1, read(runs.resolve(CORR + ".json")).get("webhook_deliveries").size());
    }

    @Test
    void withoutADeliveryIdAPayloadHashKeepsReRunsIdempotent() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run first = ingest(body, "--skip-verify");
        Testing.Run again = ingest(body, "--skip-verify");
        assertTrue(out(first).get("delivery_id").asText().matches("payload-[0-9a-f]{16}"));
        assertTrue(out(again).get("duplicate").asBoolean());
    }

    @Test
    void aRunStoppedAfterStoringTheEventIsCompletedByTheNextRun() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        // The state an interrupted ingest leaves: the event file chosen and written, nothing indexed.
        RunStore store = new RunStore(runs);
        RunStore.EventSlot slot = store.reserveEvent(CORR, "crash-1", java.time.Instant.parse("2026-01-01T00:00:00Z"));
        store.writeEvent(slot, body);
        Path leftover = Files.write(slot.file().resolveSibling("." + slot.file().getFileName() + ".123456.tmp"), body);

        Testing.Run r = ingest(body, signed(body, "crash-1"));
        assertFalse(Files.exists(leftover), "the interrupted run's temp file is cleaned up");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(slot.file().toString(), out(r).get("stored").asText());
        assertEquals(1, filesUnder(runs.resolve(CORR).resolve("webhook/events")).size());
        assertEquals(1, read(runs.resolve(CORR).resolve("webhook/index.json")).size());
        assertTrue(ingest(body, signed(body, "crash-1")).out().contains("\"duplicate\":true"));
    }

    @Test
    void aRunStoppedAfterIndexingIsCompletedWithoutASecondRow() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run first = ingest(body, signed(body, "crash-2"));
        // Roll back only the last step, the "stored" marker, as a crash just before it would.
        Path deliveries = runs.resolve(CORR).resolve("webhook/deliveries");
        Files.delete(deliveries.resolve("crash-2.json"));
        Files.writeString(deliveries.resolve("crash-2.pending"), Path.of(out(first).get("stored").asText()).getFileName().toString());

        Testing.Run again = ingest(body, signed(body, "crash-2"));
        assertEquals(0, again.exitCode(), again.err());
        assertFalse(out(again).has("duplicate"));
        assertEquals(1, read(runs.resolve(CORR).resolve("webhook/index.json")).size(), "the row is not appended twice");
        assertTrue(Files.exists(deliveries.resolve("crash-2.json")));
        assertFalse(Files.exists(deliveries.resolve("crash-2.pending")));
    }

    /** A run killed after marking its delivery stored, before removing the pending marker: the next run of it removes that. */
    @Test
    void aRunStoppedBeforeRemovingItsPendingMarkerLeavesNoneAfterTheNextRun() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run first = ingest(body, signed(body, "crash-3"));
        Path deliveries = runs.resolve(CORR).resolve("webhook/deliveries");
        Files.writeString(deliveries.resolve("crash-3.pending"), Path.of(out(first).get("stored").asText()).getFileName().toString());

        Testing.Run again = ingest(body, signed(body, "crash-3"));
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(out(again).get("duplicate").asBoolean());
        assertFalse(Files.exists(deliveries.resolve("crash-3.pending")), "the stale pending marker is removed");
        assertEquals(1, read(runs.resolve(CORR).resolve("webhook/index.json")).size());
    }

    @Test
    void githubOutputGetsTheRunIdAndCorrelation() throws IOException {
        Path ghOut = tmp.resolve("gh-output");
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run r = ingestWith(Map.of("GITHUB_OUTPUT", ghOut.toString()), body, signed(body, "gh-1"));
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("run_id=" + RUN + "\ncorrelation_id=" + CORR + "\n", Files.readString(ghOut));
    }

    @Test
    void aStepOutputValueCannotStartAnOutputLineOfItsOwn() throws IOException {
        Path ghOut = tmp.resolve("gh-output");
        var result = Json.object().put("run_url", "https://x/run\rconclusion=success").put("status", "a\nb\r\nc");
        lib.cli.Output.githubOutput(Map.of("GITHUB_OUTPUT", ghOut.toString()), result, "run_url", "status");
        assertEquals(List.of("run_url=https://x/run conclusion=success", "status=a b  c"),
                List.of(Files.readString(ghOut).split("\r\n|\r|\n")));
    }

    // --- bad input -----------------------------------------------------------------------

    @Test
    void badInputGetsOneLineAndExitTwoAndCreatesNothing() throws IOException {
        byte[] noId = "{\"action\":\"requested\",\"workflow_run\":{\"name\":\"x\"}}".getBytes();
        byte[] badUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        Map<String, byte[]> bodies = Map.of(
                "empty", new byte[0],
                "not json", "{not json".getBytes(),
                "invalid utf-8", badUtf8,
                "array", "[1,2]".getBytes(),
                "scalar", "42".getBytes(),
                "no run id", noId,
                "over 25 MB", new byte[25 * 1024 * 1024 + 1]);
        for (var e : bodies.entrySet()) {
            Testing.Run r = ingest(e.getValue(), "--skip-verify", "--event", "workflow_run");
            assertEquals(2, r.exitCode(), e.getKey() + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), e.getKey() + ": " + r.err());
            assertTrue(r.err().startsWith("error: "), e.getKey());
        }
        assertFalse(Files.exists(runs), "nothing created");
    }

    @Test
    void deliveryIdsThatWouldEscapeTheRunsFolderAreRejected() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        for (String id : List.of("../../escape", "a/b", "..", "x\u0000y", "/etc/passwd", ".hidden")) {
            Testing.Run r = ingest(body, "--skip-verify", "--delivered", id);
            assertEquals(2, r.exitCode(), id + ": " + r.err());
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("secret"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void unreadableOrMissingFilesExitTwo() throws IOException {
        assertEquals(2, ingest(new byte[0], "--file", tmp.resolve("nope.json").toString(), "--skip-verify").exitCode());
        assertEquals(2, ingest(new byte[0], "--file", tmp.toString(), "--skip-verify").exitCode());
        assertEquals(2, ingest(new byte[0], "--headers", tmp.resolve("nope.txt").toString(), "--skip-verify").exitCode());
        assertEquals(2, ingest(new byte[0], "--secret-file", tmp.resolve("nope").toString()).exitCode());
        assertEquals(2, ingest(new byte[0], "--no-such-flag").exitCode());
    }

    @Test
    void aCorruptMetadataFileIsLeftUnchangedAndNothingIsStored() throws IOException {
        writeMetadata(CORR + ".json", "{\"correlation_id\": tru");
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run r = ingest(body, signed(body, "bad-meta"));
        assertEquals(2, r.exitCode());
        assertEquals("{\"correlation_id\": tru", Files.readString(runs.resolve(CORR + ".json")));
        assertFalse(Files.exists(runs.resolve(CORR)));
    }

    @Test
    void aCorruptOrphanRecordIsLeftUnchangedAndNothingIsStored() throws IOException {
        Path orphan = runs.resolve("webhook_orphans/" + RUN + ".json");
        Files.createDirectories(orphan.getParent());
        Files.writeString(orphan, "garbage");
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run r = ingest(body, signed(body, "bad-orphan"));
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains(orphan.toString()), r.err());
        assertEquals(List.of(orphan), filesUnder(runs).stream().filter(f -> !f.startsWith(runs.resolve(".locks"))).toList(),
                "nothing else written");
        assertEquals("garbage", Files.readString(orphan));
    }

    @Test
    void aDamagedMarkerOfAStoredDeliveryIsReportedAndLeftUnchanged() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        assertEquals(0, ingest(body, signed(body, "m-1")).exitCode());
        Path marker = runs.resolve(CORR + "/webhook/deliveries/m-1.json");
        for (String damaged : List.of("", "[1,2]", "{}", "{\"file\":7}")) {
            Files.writeString(marker, damaged);
            Testing.Run r = ingest(body, signed(body, "m-1"));
            assertEquals(2, r.exitCode(), damaged + ": " + r.err());
            assertTrue(r.err().startsWith("error: " + marker), damaged + ": " + r.err());
            assertEquals(damaged, Files.readString(marker));
        }
    }

    @Test
    void devicesAndPipesAreReadWithTheSizeBound() throws IOException {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.isReadable(zero), "needs /dev/zero");
        for (String[] args : List.of(new String[] {"--file", zero.toString(), "--skip-verify"},
                new String[] {"--headers", zero.toString(), "--skip-verify"},
                new String[] {"--secret-file", zero.toString()})) {
            Testing.Run r = ingest(new byte[0], args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("/dev/zero"), r.err());
        }
        assertFalse(Files.exists(runs), "nothing created");
    }

    @Test
    void argumentsAreTakenAsWrittenNeverAsArgumentFiles() throws IOException {
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Testing.Run r = ingest(body, "--skip-verify", "--delivered", "@" + secretFile);
        assertEquals(2, r.exitCode(), r.err());
        assertFalse(r.err().contains(SECRET), "the file named after '@' is never read: " + r.err());
        assertTrue(r.err().contains("@" + secretFile), r.err());
    }

    @Test
    void aValueWithLineBreaksIsQuotedOnOneLine() throws IOException {
        Testing.Run r = Testing.run(new WaitForWebhook(), "--runs-dir", runs.toString(), "--timeout", "1",
                "--correlation-id", "x\nerror: forged\n::add-mask::y");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        Testing.Run usage = ingest(new byte[0], "--max-wait\n::stop-commands::z");
        assertEquals(2, usage.exitCode(), usage.err());
        assertTrue(usage.err().lines().noneMatch(l -> l.startsWith("::")), usage.err());
    }

    /**
     * A stored delivery survives a power loss: a name created or replaced is durable only once its folder is
     * flushed, so every one the store makes (event file, metadata or orphan record, index, marker, and the
     * folders made for them) has its folder flushed, and before the marker says "stored", except the marker's
     * own. Seen through strace (no file shows a folder's flush): a correlation's first delivery, which makes its
     * folders, its second, and one without a metadata file (an orphan record).
     */
    @Test
    void everyNameAStoredDeliveryMakesHasItsFolderFlushedBeforeTheMarkerButTheMarkersOwn() throws Exception {
        Assumptions.assumeTrue(SyscallTrace.available(), "strace shows a folder's flush");
        writeMetadata(CORR + ".json", "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        String orphan = "7d3e9b1c-4a2f-4e6d-9c8b-1a2b3c4d5e6f";
        Map<String, String> deliveries = new java.util.LinkedHashMap<>(); // delivery id -> correlation
        deliveries.put("first", CORR);
        deliveries.put("second", CORR);
        deliveries.put("orphaned", orphan);
        for (Map.Entry<String, String> d : deliveries.entrySet()) {
            Path payload = Files.write(tmp.resolve(d.getKey() + ".json"), Fixtures.workflowRun("completed", d.getValue(), RUN));
            List<SyscallTrace.Call> calls = SyscallTrace.run(tmp, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "ProcessWorkflowWebhook",
                    "--runs-dir", runs.toString(), "--state-dir", tmp.resolve("state").toString(), "--file", payload.toString(),
                    "--skip-verify", "--delivered", d.getKey()));
            Path marker = runs.resolve(d.getValue()).resolve("webhook/deliveries/" + d.getKey() + ".json");
            int markedAt = -1;
            for (int i = 0; i < calls.size(); i++) if (!calls.get(i).isFlush() && calls.get(i).path().equals(marker)) markedAt = i;
            assertTrue(markedAt >= 0, d.getKey() + ": " + calls);
            int names = 0;
            for (int i = 0; i < calls.size(); i++) {
                SyscallTrace.Call c = calls.get(i);
                if (c.isFlush() || !isStoredName(c.path())) continue;
                names++;
                int flushedAt = -1;
                for (int j = calls.size() - 1; j > i; j--) {
                    if (calls.get(j).isFlush() && calls.get(j).path().equals(c.path().getParent())) flushedAt = j;
                }
                assertTrue(flushedAt > i, d.getKey() + ": the folder of " + c + " is never flushed: " + calls);
                if (i != markedAt) assertTrue(flushedAt < markedAt, d.getKey() + ": " + c + " is flushed after the marker: " + calls);
            }
            assertTrue(names >= 3, d.getKey() + ": event file, metadata, marker at least: " + calls);
        }
    }

    /** A name in the runs folder that a stored delivery relies on: not a lock, nor a hint (pending marker, run pointer). */
    private boolean isStoredName(Path p) {
        Path relative = runs.relativize(p);
        return p.startsWith(runs) && !relative.startsWith(".locks") && !relative.startsWith(".by-run-id")
                && !p.getFileName().toString().endsWith(".pending");
    }

    @Test
    void aStoreThatCannotBeWrittenExitsOneAndSaysWhy() throws IOException {
        Files.writeString(runs, "a file where the runs folder should be");
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        Testing.Run r = ingest(body, signed(body, "d-unwritable"));
        assertEquals(1, r.exitCode(), r.all());
        String line = r.err().strip();
        assertFalse(line.contains("\n") || line.contains("Exception"), line);
        assertTrue(line.startsWith("error: could not store the delivery under " + runs + ": " + runs), line);
    }

    @Test
    void withoutASecretTheMessageNamesTheStateFolderInUse() throws IOException {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        Testing.Run r = ingest(body, "--delivered", "d-nosecret", "--event", "workflow_run");
        assertEquals(3, r.exitCode(), r.all());
        assertTrue(r.err().contains(tmp.resolve("state").resolve("webhook-secret").toString()), r.err());
    }

    @Test
    void anUnwritableGithubOutputExitsOneAfterStoring() throws IOException {
        Path notAFile = Files.createDirectories(tmp.resolve("github-output"));
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        Testing.Run r = ingestWith(Map.of("GITHUB_OUTPUT", notAFile.toString()), body, signed(body, "gh-dir"));
        assertEquals(1, r.exitCode(), r.all());
        assertEquals(RUN, out(r).get("run_id").asLong(), "the result is printed");
        assertTrue(r.err().contains("step outputs are missing") && r.err().contains(notAFile.toString()), r.err());
    }
}
