import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * 7. The launcher itself: warm ingest through ./jbang side by side with the bash reference
 * (tests/bench/process-workflow-webhook.sh), the launcher's own work, --help as the first run after a
 * build, and (not with --quick) a cold start on a fresh machine: a copy of the checkout and an empty home.
 */
final class LauncherBench extends BenchSection {
    static final String SECTION = "7. Launcher";
    static final String SCRIPT = "process-workflow-webhook.java";

    final Path sample;
    final String signature;
    int delivery;

    LauncherBench(Bench bench) throws IOException {
        super(bench);
        sample = repo.resolve("tests/fixtures/sample");
        signature = Files.readAllLines(sample.resolve("headers.txt")).stream().filter(l -> l.startsWith("X-Hub-Signature-256:"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow();
    }

    void launcher() throws Exception {
        warmIngestAgainstBash();
        warmStartAgainstBash();
        launcherOwnWork();
        if (quick) {
            notes.add("Launcher: --help-first and cold-start rows are skipped with --quick (each builds the scripts again).");
            return;
        }
        helpFirst();
        coldStart();
    }

    // ================================================================ warm ingest, side by side

    /** The ingest arguments: the sample payload, verified with its secret, a new delivery id each time. */
    List<String> ingest(Path runs) {
        return List.of("--file", sample.resolve("payload.json").toString(), "--signature", signature, "--delivered",
                "bench-" + (++delivery), "--event", "workflow_run", "--secret-file", sample.resolve("webhook-secret").toString(),
                "--runs-dir", runs.toString());
    }

    List<String> viaLauncher(Path checkout, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(checkout.resolve("jbang").toString(), checkout.resolve(SCRIPT).toString()));
        cmd.addAll(args);
        return cmd;
    }

    List<String> viaBash(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("tests/bench/process-workflow-webhook.sh").toString()));
        cmd.addAll(args);
        return cmd;
    }

    void warmIngestAgainstBash() throws Exception {
        progress("launcher: warm ingest against the bash reference (warming up until the archive stopped learning)");
        Path runsDir = tmp.resolve("launcher/runs");
        Map<String, String> env = env(Map.of(), true);
        Entry entry = null;
        for (int w = 0; w < 10 && (entry == null || entry.learning()); w++) {
            Proc p = exec(viaLauncher(repo, ingest(runsDir)), env, repo);
            if (p.exit() != 0) throw new IllegalStateException("ingest failed in warm-up: " + p.err());
            awaitBackground(env);
            entry = Entry.find(LauncherCache.dir(env), repo.resolve(SCRIPT)).orElse(null);
        }
        if (entry == null || entry.archive().isEmpty()) throw new IllegalStateException("no fast-path record or archive for " + SCRIPT);
        Proc bashCheck = exec(viaBash(ingest(runsDir)), env, repo);
        if (bashCheck.exit() != 0) throw new IllegalStateException("the bash reference failed: " + bashCheck.err());

        List<String> direct = entry.directCommand(repo.resolve("launcher-direct").toString());
        List<Double> launcher = new ArrayList<>();
        List<Double> bash = new ArrayList<>();
        List<Double> jvm = new ArrayList<>();
        int n = Math.max(runs, 5) * 2;
        for (int r = 0; r < n; r++) { // interleaved, so drift hits all three alike
            launcher.add(check(exec(viaLauncher(repo, ingest(runsDir)), env, repo)).seconds());
            bash.add(check(exec(viaBash(ingest(runsDir)), env, repo)).seconds());
            List<String> d = new ArrayList<>(direct);
            d.addAll(ingest(runsDir));
            jvm.add(check(exec(d, env, repo)).seconds());
        }
        double ratio = median(launcher) / median(bash);
        progress(String.format(Locale.ROOT, "launcher: ingest %.3f s, bash %.3f s, JVM alone %.3f s", median(launcher), median(bash), median(jvm)));
        rows.add(new Row(SECTION, "ingest one payload, warm (bash reference)", "`tests/bench/process-workflow-webhook.sh` (bash, jq, openssl)",
                bash.size(), sec3(median(bash)), range3(bash), "", ""));
        rows.add(new Row(SECTION, "ingest one payload, warm", "`./jbang process-workflow-webhook.java` (fast path, archive learned)",
                launcher.size(), sec3(median(launcher)), range3(launcher),
                String.format(Locale.ROOT, "≤ 0.4x bash: %.2fx", ratio), ratio <= 0.4 ? "ok" : "MISSED"));
        rows.add(new Row(SECTION, "ingest one payload, warm, without the launcher", "the recorded JVM command with the same options and archive",
                jvm.size(), sec3(median(jvm)), range3(jvm),
                String.format(Locale.ROOT, "launcher adds %.0f ms (difference of medians)", (median(launcher) - median(jvm)) * 1000), ""));
        notes.add("Launcher, warm ingest: the sample payload (22 KB) verified with its secret, a new delivery id each run, into one runs "
                + "folder; ./jbang, the bash reference and the JVM command alone (through `bash -c exec`) interleaved, after warm-up "
                + "runs until the script's archive stopped learning. The bash reference follows the sprint-7 design: "
                + "bash + jq + openssl, no fsync; the Java script also fsyncs, locks and validates.");
    }

    /**
     * The warm start (JBANG_LAUNCHER_WARM=1): each run leaves a JVM that did an ingest once, and the next run is
     * handed to it. Interleaved with the bash reference as above; the launcher's debug line says which runs were warm.
     */
    void warmStartAgainstBash() throws Exception {
        progress("launcher: warm start (JBANG_LAUNCHER_WARM=1) against the bash reference");
        Path runsDir = tmp.resolve("launcher/runs");
        // warm JVMs this bench leaves end after 30 s idle
        Map<String, String> env = env(Map.of("JBANG_LAUNCHER_WARM", "1", "JBANG_LAUNCHER_WARM_IDLE", "30", "JBANG_LAUNCHER_DEBUG", "1"),
                true);
        boolean served = false;
        for (int w = 0; w < 20 && !served; w++) {
            Proc p = check(exec(viaLauncher(repo, ingest(runsDir)), env, repo));
            served = p.err().contains("warm start");
            Thread.sleep(500);
        }
        if (!served) throw new IllegalStateException("no run was served by a warm JVM");
        List<Double> launcher = new ArrayList<>();
        List<Double> bash = new ArrayList<>();
        int warm = 0;
        int n = Math.max(runs, 5) * 2;
        for (int r = 0; r < n; r++) {
            Proc p = check(exec(viaLauncher(repo, ingest(runsDir)), env, repo));
            launcher.add(p.seconds());
            if (p.err().contains("warm start")) warm++;
            // the JVM that run left warms up before the bash reference runs, so that it does not slow bash down
            Thread.sleep(500);
            bash.add(check(exec(viaBash(ingest(runsDir)), env, repo)).seconds());
        }
        double ratio = median(launcher) / median(bash);
        progress(String.format(Locale.ROOT, "launcher: warm start %.3f s (%d of %d warm), bash %.3f s", median(launcher), warm, n,
                median(bash)));
        rows.add(new Row(SECTION, "ingest one payload, warm start", "`JBANG_LAUNCHER_WARM=1 ./jbang process-workflow-webhook.java`",
                launcher.size(), sec3(median(launcher)), range3(launcher),
                String.format(Locale.ROOT, "≤ 0.4x bash: %.2fx (bash %s; %d of %d runs warm)", ratio, sec3(median(bash)), warm, n),
                ratio <= 0.4 ? "ok" : "MISSED"));
        notes.add("Launcher, warm start: as the warm ingest, with JBANG_LAUNCHER_WARM=1, after runs until one was warm; each run "
                + "leaves the next one's JVM, which takes a few hundred ms of CPU to get ready: a 500 ms pause after each warm run "
                + "keeps that work out of the bash reference's time.");
    }

    static Proc check(Proc p) {
        if (p.exit() != 0) throw new IllegalStateException("failed: " + p.err());
        return p;
    }

    // ================================================================ the launcher's own work

    /** The fast path with `true` in place of java: what is left is the launcher's own work (bash, the stamp's stat, exec). */
    void launcherOwnWork() throws Exception {
        progress("launcher: its own work (the recorded command replaced by true)");
        Map<String, String> env = env(Map.of(), true);
        Entry entry = Entry.find(LauncherCache.dir(env), repo.resolve(SCRIPT)).orElseThrow();
        String trueBin = Stream.of("/bin/true", "/usr/bin/true").filter(t -> Files.isExecutable(Path.of(t))).findFirst().orElseThrow();
        Path cache = Files.createDirectories(tmp.resolve("launcher/own-work-cache/fastpath"));
        String name = entry.base().getFileName().toString();
        for (String ext : List.of(".files", ".stamp", ".script", ".shapes", ".sums", "." + entry.gen() + ".rebuilds")) {
            Path f = entry.base().resolveSibling(name + ext);
            if (Files.exists(f)) Files.copy(f, cache.resolve(name + ext));
        }
        // the archive too (a link will do), as on a real hit: without one (or without its .rebuilds, the mark of an
        // archive this launcher has checked) every run would be a learning run
        Files.createSymbolicLink(cache.resolve(name + "." + entry.gen() + ".jsa"), entry.archive().orElseThrow());
        if (!Files.exists(cache.resolve(name + "." + entry.gen() + ".rebuilds"))) {
            throw new IllegalStateException("the record has no .rebuilds: its runs would be learning runs");
        }
        String cmdline = entry.cmdline();
        Files.writeString(cache.resolve(name + ".rec"), entry.gen() + "\n" + trueBin + cmdline.substring(cmdline.indexOf(' ')) + "\n");
        Map<String, String> trueEnv = env(Map.of("JBANG_LAUNCHER_CACHE", cache.getParent().toString()), true);
        Path runsDir = tmp.resolve("launcher/own-work-runs");
        List<Double> launcher = new ArrayList<>();
        List<Double> bare = new ArrayList<>();
        for (int r = 0; r < 30; r++) {
            launcher.add(check(exec(viaLauncher(repo, ingest(runsDir)), trueEnv, repo)).seconds());
            bare.add(check(exec(List.of(trueBin), trueEnv, repo)).seconds());
        }
        if (Files.exists(runsDir)) throw new IllegalStateException("the launcher ran the script instead of true");
        List<Double> own = launcher.stream().map(s -> s - median(bare)).toList();
        rows.add(new Row(SECTION, "the launcher's own work on a hit", "`./jbang process-workflow-webhook.java ARGS` exec'ing `true` "
                + "instead of java, minus `true` alone (" + ms(median(bare) * 1000) + ")", own.size(), ms(median(own) * 1000),
                String.format(Locale.ROOT, "min–max %s–%s, p90 %s", ms(min(own) * 1000), ms(max(own) * 1000), ms(pctL(own, 90) * 1000)),
                "≤ 30 ms", median(own) <= 0.030 ? "ok" : "MISSED"));
    }

    // ================================================================ --help first

    /** A copy of the checkout (a new path: a new record), --help as its first run, then real ingests; then a change and the same again. */
    void helpFirst() throws Exception {
        Path copy = copyCheckout(tmp.resolve("launcher/help-first/p"));
        Path runsDir = tmp.resolve("launcher/help-first/runs");
        for (String when : List.of("new checkout", "after a change", "after another change, warm start")) {
            boolean warmStart = when.endsWith("warm start");
            Map<String, String> env = warmStart
                    ? env(Map.of("JBANG_LAUNCHER_WARM", "1", "JBANG_LAUNCHER_WARM_IDLE", "30", "JBANG_LAUNCHER_DEBUG", "1"), true)
                    : env(Map.of(), true);
            if (!when.equals("new checkout")) {
                Path lib = firstLibFile(copy);
                Files.writeString(lib, Files.readString(lib) + "\n// bench: a change\n");
            }
            progress("launcher: --help first (" + when + "), then ingests");
            check(exec(viaLauncher(copy, List.of("--help")), env, copy));
            awaitBackground(env);   // the archive from --help is built before the real work comes
            List<Double> launcher = new ArrayList<>();
            List<Double> bash = new ArrayList<>();
            int warm = 0;
            for (int r = 0; r < runs + 1; r++) {
                Proc p = check(exec(viaLauncher(copy, ingest(runsDir)), env, copy));
                launcher.add(p.seconds());
                if (p.err().contains("warm start")) warm++;
                if (warmStart) Thread.sleep(500);   // the next JVM's warm-up, out of bash's time (as in the warm-start row)
                bash.add(check(exec(viaBash(ingest(runsDir)), env, copy)).seconds());
            }
            double first = launcher.get(0);
            List<Double> rest = launcher.subList(1, launcher.size());
            double ratio = median(rest) / median(bash);
            rows.add(new Row(SECTION, "ingest after `--help` came first (" + when + ")",
                    (warmStart ? "`JBANG_LAUNCHER_WARM=1 ./jbang" : "`./jbang") + " process-workflow-webhook.java --help` on a "
                    + (when.equals("new checkout") ? "copy of the checkout" : "copy with an edited lib file")
                    + ", then ingests interleaved with the bash reference", rest.size(), sec3(median(rest)),
                    String.format(Locale.ROOT, "first ingest %.3f s; then %s; bash %.3f s", first, range3(rest), median(bash))
                            + (warmStart ? String.format(Locale.ROOT, "; %d of %d runs warm", warm, launcher.size()) : ""),
                    String.format(Locale.ROOT, "≤ 0.4x bash: %.2fx", ratio), ratio <= 0.4 ? "ok" : "MISSED"));
        }
        notes.add("Launcher, --help first: a new checkout has no learned classes, so its first ingest learns (and rebuilds the archive "
                + "in the background); after a change the classes learned before are archived at once, so the first ingest after "
                + "--help is covered. With the warm start, the first ingest after --help is cold (--help left no JVM: a new build's "
                + "first run goes through JBang) and leaves one that did an ingest.");
    }

    static Path firstLibFile(Path checkout) throws IOException {
        try (Stream<Path> files = Files.walk(checkout.resolve("lib"))) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().findFirst().orElseThrow();
        }
    }

    // ================================================================ cold start

    /**
     * A fresh machine: a copy of the checkout and an empty home (HOME and user.home), then each further
     * script's first run, in odd rounds back to back, in even rounds once the first run's background
     * work (archives, building the collection's other scripts) is done, as in a job whose first step runs a while.
     */
    void coldStart() throws Exception {
        List<Double> first = new ArrayList<>();
        List<Double> backToBack = new ArrayList<>();
        List<Double> afterBackground = new ArrayList<>();
        List<Double> background = new ArrayList<>();
        List<Double> restored = new ArrayList<>();
        List<String> facts = new ArrayList<>();
        List<String> scripts = List.of("trigger-and-track.java", "process-workflow-webhook.java", "wait-for-webhook.java",
                "manage-actions-webhook.java");
        for (int round = 1; round <= 4; round++) {
            boolean waits = round % 2 == 0;
            progress("launcher: cold start, round " + round + " (fetches JBang and the dependencies from the network)");
            Path dir = tmp.resolve("launcher/cold-" + round);
            Path checkout = copyCheckout(dir.resolve("p"));
            Path home = Files.createDirectories(dir.resolve("home"));
            Map<String, String> env = coldEnv(home);
            for (String script : scripts) {
                Proc p = exec(List.of(checkout.resolve("jbang").toString(), checkout.resolve(script).toString(), "--help"), env, checkout);
                if (p.exit() != 0) {
                    rows.add(new Row(SECTION, "cold start", "failed: " + script, 0, "", firstLine(p.err()), "", "FAILED"));
                    return;
                }
                if (script.equals(scripts.get(0))) {
                    first.add(p.seconds());
                    if (waits) {
                        long start = System.nanoTime();
                        awaitBackground(env);
                        background.add((System.nanoTime() - start) / 1e9);
                    }
                } else {
                    (waits ? afterBackground : backToBack).add(p.seconds());
                }
            }
            awaitBackground(env);
            long files;
            try (Stream<Path> all = Files.walk(home)) {
                files = all.filter(Files::isRegularFile).count();
            }
            facts.add(String.format(Locale.ROOT, "round %d: %d files in the home", round, files));

            // A CI cache restored into a fresh clone at the same path: the home as saved, the checkout new.
            Path saved = dir.resolve("home-saved");
            copyTree(home, saved);
            deleteTree(checkout);
            deleteTree(home);
            copyCheckout(checkout);
            copyTree(saved, home);
            Proc p = exec(List.of(checkout.resolve("jbang").toString(), checkout.resolve(scripts.get(0)).toString(), "--help"), env, checkout);
            if (p.exit() != 0) throw new IllegalStateException("restored run failed: " + p.err());
            restored.add(p.seconds());
            awaitBackground(env);
        }
        rows.add(new Row(SECTION, "cold: first run of the first script", "fresh copy, empty home: `./jbang trigger-and-track.java --help` "
                + "(fetches JBang, resolves, compiles)", first.size(), sec(median(first)), range(first, "s"), "≤ 10 s", max(first) <= 10 ? "ok" : "MISSED"));
        rows.add(new Row(SECTION, "cold: first run of each further script, after the first's background work",
                "`--help` of the other three once the launcher's background work is done (it took " + range(background, "s")
                        + ": archives, then building the collection's other scripts)",
                afterBackground.size(), sec(median(afterBackground)), range(afterBackground, "s"), "≤ 4 s", max(afterBackground) <= 4 ? "ok" : "MISSED"));
        rows.add(new Row(SECTION, "cold: first run of each further script, back to back", "`--help` of the other three right after the first",
                backToBack.size(), sec(median(backToBack)), range(backToBack, "s"), "≤ 4 s", max(backToBack) <= 4 ? "ok" : "MISSED"));
        rows.add(new Row(SECTION, "cold: caches restored into a fresh clone", "the home saved after the runs above, a new copy of the "
                + "checkout at the same path, `./jbang trigger-and-track.java --help`", restored.size(), sec(median(restored)),
                range(restored, "s"), "≤ 1 s", max(restored) <= 1 ? "ok" : "MISSED"));
        notes.add("Launcher, cold start: HOME and -Duser.home (JAVA_TOOL_OPTIONS) point to an empty folder, the launcher's cache and "
                + "JBang's folders default there; JBang comes from the repository Maven would use, the dependencies from JBang's. "
                + String.join("; ", facts) + ".");
    }

    Map<String, String> coldEnv(Path home) {
        Map<String, String> env = env(Map.of(), true);
        for (String k : List.of("JBANG_LAUNCHER_CACHE", "XDG_CACHE_HOME", "JBANG_DIR", "JBANG_CACHE_DIR", "JBANG_REPO", "MAVEN_OPTS",
                "JDK_JAVA_OPTIONS")) {
            env.remove(k);
        }
        env.put("HOME", home.toString());
        env.put("JAVA_TOOL_OPTIONS", "-Duser.home=" + home);
        return env;
    }

    static String firstLine(String s) {
        return s.lines().filter(l -> !l.startsWith("Picked up")).findFirst().orElse("");
    }

    // ================================================================ helpers

    /** Copies the files git tracks (as they are in the working tree), like a fresh clone of the current state. */
    Path copyCheckout(Path target) throws Exception {
        Proc ls = exec(List.of("git", "ls-files", "-z"), Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), repo);
        if (ls.exit() != 0) throw new IllegalStateException("git ls-files failed (not a checkout?): " + ls.err());
        for (String f : ls.out().split("\0")) {
            if (f.isEmpty()) continue;
            Path src = repo.resolve(f);
            if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) continue;
            Path dst = target.resolve(f);
            Files.createDirectories(dst.getParent());
            Files.copy(src, dst, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
            Files.setLastModifiedTime(dst, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
        }
        return target;
    }

    /** Copies a tree keeping times (as a cache restore does). */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path f : (Iterable<Path>) all::iterator) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(t);
                else Files.copy(f, t, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    /** A fast-path record of the launcher's cache: base path, generation, command line. */
    record Entry(Path base, String gen, String cmdline) {
        static Optional<Entry> find(Path cache, Path script) throws IOException {
            Path dir = cache.resolve("fastpath");
            if (!Files.isDirectory(dir)) return Optional.empty();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".script")).toList()) {
                    if (!Files.readString(f).strip().equals(script.toString())) continue;
                    Path base = f.resolveSibling(f.getFileName().toString().replaceFirst("\\.script$", ""));
                    Path recFile = base.resolveSibling(base.getFileName() + ".rec");
                    if (!Files.exists(recFile)) continue; // being recorded again (a source changed): not yet
                    List<String> rec = Files.readAllLines(recFile);
                    return Optional.of(new Entry(base, rec.get(0), rec.get(1)));
                }
            }
            return Optional.empty();
        }

        Optional<Path> archive() {
            Path jsa = base.resolveSibling(base.getFileName() + "." + gen + ".jsa");
            return Files.exists(jsa) ? Optional.of(jsa) : Optional.empty();
        }

        boolean learning() {
            return Files.exists(base.resolveSibling(base.getFileName() + ".learn")) || archive().isEmpty();
        }

        /** What the launcher execs on a hit, run by `bash -c exec` (JBang's command line is shell-quoted). */
        List<String> directCommand(String name) {
            String java = cmdline.substring(0, cmdline.indexOf(' '));
            String rest = cmdline.substring(cmdline.indexOf(' ') + 1);
            String opts = "-Xlog:disable -Xlog:all=warning:stderr -XX:TieredStopAtLevel=1"
                    + archive().map(a -> " -XX:SharedArchiveFile='" + a + "' -Xshare:auto").orElse("");
            return List.of("bash", "-c", "exec '" + java + "' " + opts + " " + rest + " \"$@\"", name);
        }
    }

    static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    static String sec3(double s) {
        return String.format(Locale.ROOT, "%.3f s", s);
    }

    static String range3(List<Double> v) {
        return String.format(Locale.ROOT, "min–max %.3f–%.3f s", min(v), max(v));
    }

}
