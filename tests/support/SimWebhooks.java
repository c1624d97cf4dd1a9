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
 * Repository hooks get the repository's runs; organisation hooks get every repository's runs, with
 * {@code "organization"} in the payload and {@code X-GitHub-Hook-Installation-Target-Type: organization}.
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
        SimState.Repo repo = state.repoOf(run);
        ObjectNode payload = Json.object().put("action", action);
        if (event.equals("workflow_run")) {
            payload.set("workflow_run", json.runJson(run, true));
            payload.set("workflow", json.workflowJson(run.workflow, repo));
        } else {
            payload.set("workflow_job", json.jobJson(run, job));
        }
        payload.set("repository", json.repositoryJson(repo));
        byte[] orgBytes = bytes(withSender(payload.deepCopy().set("organization", json.organizationJson())));
        byte[] bytes = bytes(withSender(payload));
        boolean inRepository = run.repo == null;
        for (SimState.Hook hook : state.hooks.values()) {
            if (!hook.subscribes(event) || !(hook.org || inRepository)) continue;
            String guid = UUID.randomUUID().toString();
            byte[] sent = hook.org ? orgBytes : bytes;
            Runnable send = () -> {
                deliver(hook, event, action, guid, sent, false, repo.id());
                if (state.duplicateDeliveries) deliver(hook, event, action, guid, sent, false, repo.id());
            };
            if (state.reorderDeliveries) state.heldDeliveries.computeIfAbsent(run.id, k -> new ArrayList<>()).add(send);
            else hookshotThread.submit(send);
        }
    }

    /** An organisation hook's ping carries the organisation instead of a repository. */
    void sendPing(SimState.Hook hook) {
        ObjectNode payload = Json.object().put("zen", "Keep it logically awesome.").put("hook_id", hook.id);
        payload.set("hook", json.hookJson(hook));
        if (hook.org) payload.set("organization", json.organizationJson());
        else payload.set("repository", json.repositoryJson());
        byte[] bytes = bytes(withSender(payload));
        String guid = UUID.randomUUID().toString();
        Long repositoryId = hook.org ? null : config.repoId;
        hookshotThread.submit(() -> deliver(hook, "ping", null, guid, bytes, false, repositoryId));
    }

    void redeliver(SimState.Hook hook, SimState.Delivery d) {
        hookshotThread.submit(() -> deliver(hook, d.event(), d.action(), d.guid(), d.payload(), true, d.repositoryId()));
    }

    private ObjectNode withSender(ObjectNode payload) {
        return payload.set("sender", json.senderJson());
    }

    private static byte[] bytes(ObjectNode payload) {
        return Json.compact(payload).getBytes(StandardCharsets.UTF_8);
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
    private void deliver(SimState.Hook hook, String event, String action, String guid, byte[] payload, boolean redelivery,
            Long repositoryId) {
        if (!state.deliveryDelay.isZero()) GitHubSimulator.sleepQuietly(state.deliveryDelay);
        String url;
        String contentType;
        String secret;
        synchronized (state.lock) {
            url = hook.url;
            contentType = hook.contentType;
            secret = hook.secret;
        }
        SimHookshot.Attempt attempt = hookshot.send(url, contentType, secret, event, guid, hook.id,
                hook.org ? config.orgId : config.repoId, hook.org ? "organization" : "repository",
                config.enterpriseVersion, "127.0.0.1", payload, state.deliveryTimeout);
        synchronized (state.lock) {
            state.deliveries.add(new SimState.Delivery(state.nextDeliveryId++, guid, hook.id, event, action, redelivery, payload,
                    attempt, repositoryId));
            hook.lastResponse = SimJson.lastResponse(attempt.statusCode() == 0 ? null : attempt.statusCode(),
                    attempt.status().equals("OK") ? "active" : "failed", attempt.status());
        }
    }
}
