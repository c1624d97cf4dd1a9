import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import lib.util.Json;

/**
 * Turns events (run phases, pings, redeliveries) into deliveries to every subscribed hook, sent one at a time
 * on the hookshot thread and recorded as GitHub's deliveries API shows them. Honours the delivery knobs.
 */
final class SimWebhooks {
    private final SimState state;
    private final GitHubSimulator.Config config;
    private final SimJson json;
    private final ExecutorService hookshotThread;
    private final SimHookshot hookshot = new SimHookshot();

    SimWebhooks(SimState state, SimJson json, ExecutorService hookshotThread) {
        this.state = state;
        this.config = state.config;
        this.json = json;
        this.hookshotThread = hookshotThread;
    }

    /**
     * Snapshots the payload now and delivers it to every subscribed hook in the background: one
     * workflow_run delivery, or one workflow_job delivery per job of the run's newest attempt.
     */
    void emitRunEvent(SimState.Run run, String event, String action) {
        if (event.equals("workflow_run")) {
            emit(run, event, action, null);
        } else {
            for (SimState.Job job : run.jobs) emit(run, event, action, job);
        }
    }

    private void emit(SimState.Run run, String event, String action, SimState.Job job) {
        ObjectNode payload = Json.object().put("action", action);
        if (event.equals("workflow_run")) {
            payload.set("workflow_run", json.runJson(run, true));
            payload.set("workflow", json.workflowJson(run.workflow));
        } else {
            payload.set("workflow_job", json.jobJson(run, job));
        }
        payload.set("repository", json.repositoryJson());
        payload.set("sender", json.senderJson());
        byte[] bytes = Json.compact(payload).getBytes(StandardCharsets.UTF_8);
        for (SimState.Hook hook : state.hooks.values()) {
            if (!hook.subscribes(event)) continue;
            String guid = UUID.randomUUID().toString();
            Runnable send = () -> {
                deliver(hook, event, action, guid, bytes, false);
                if (state.duplicateDeliveries) deliver(hook, event, action, guid, bytes, false);
            };
            if (state.reorderDeliveries) state.heldDeliveries.computeIfAbsent(run.id, k -> new ArrayList<>()).add(send);
            else hookshotThread.submit(send);
        }
    }

    void sendPing(SimState.Hook hook) {
        ObjectNode payload = Json.object().put("zen", "Keep it logically awesome.").put("hook_id", hook.id);
        payload.set("hook", json.hookJson(hook));
        payload.set("repository", json.repositoryJson());
        payload.set("sender", json.senderJson());
        byte[] bytes = Json.compact(payload).getBytes(StandardCharsets.UTF_8);
        String guid = UUID.randomUUID().toString();
        hookshotThread.submit(() -> deliver(hook, "ping", null, guid, bytes, false));
    }

    void redeliver(SimState.Hook hook, SimState.Delivery d) {
        hookshotThread.submit(() -> deliver(hook, d.event(), d.action(), d.guid(), d.payload(), true));
    }

    /** Sends a completed run's held deliveries, newest first (see {@code reorderDeliveries}). */
    void releaseHeld(SimState.Run run) {
        List<Runnable> held = state.heldDeliveries.remove(run.id);
        if (held != null) {
            Collections.reverse(held);
            held.forEach(hookshotThread::submit);
        }
    }

    /** Runs on the hookshot thread: one POST, recorded whatever happens. */
    private void deliver(SimState.Hook hook, String event, String action, String guid, byte[] payload, boolean redelivery) {
        if (!state.deliveryDelay.isZero()) GitHubSimulator.sleepQuietly(state.deliveryDelay);
        String url;
        String contentType;
        String secret;
        synchronized (state.lock) {
            url = hook.url;
            contentType = hook.contentType;
            secret = hook.secret;
        }
        SimHookshot.Attempt attempt = hookshot.send(url, contentType, secret, event, guid, hook.id, config.repoId,
                config.enterpriseVersion, "127.0.0.1", payload, state.deliveryTimeout);
        synchronized (state.lock) {
            state.deliveries.add(new SimState.Delivery(state.nextDeliveryId++, guid, hook.id, event, action, redelivery, payload, attempt));
            hook.lastResponse = SimJson.lastResponse(attempt.statusCode() == 0 ? null : attempt.statusCode(),
                    attempt.status().equals("OK") ? "active" : "failed", attempt.status());
        }
    }
}
