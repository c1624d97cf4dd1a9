package lib.hooks;

import java.util.Locale;
import lib.github.GitHubContext;
import lib.util.BadInputException;

/**
 * Where a hook lives: on one repository ({@code /repos/OWNER/NAME/hooks}) or on an organisation
 * ({@code /orgs/ORG/hooks}), whose hook receives the events of every repository of the organisation.
 *
 * @param kind what owns the hook
 * @param name OWNER/NAME for a repository, the organisation's login for an organisation (both validated)
 */
public record HookScope(Kind kind, String name) {
    /** What owns a hook; {@link #key} is how active-hook.json and JSON output spell it. */
    public enum Kind {
        REPO("repo"), ORG("org");

        public final String key;

        Kind(String key) {
            this.key = key;
        }
    }

    /** The name goes into API paths: it must be valid for its kind (the factories say so as bad input). */
    public HookScope {
        if (kind == null || !(kind == Kind.REPO ? GitHubContext.isValidRepo(name) : GitHubContext.isValidOwner(name))) {
            throw new IllegalArgumentException("not a valid " + kind + " hook scope: " + name);
        }
    }

    /** A repository's hooks; bad input unless {@code repo} is OWNER/NAME. */
    public static HookScope repo(String repo, String source) {
        String r = repo == null ? "" : repo.strip();
        if (!GitHubContext.isValidRepo(r)) throw new BadInputException(source + " must be OWNER/NAME, not '" + r + "'");
        return new HookScope(Kind.REPO, r);
    }

    /** An organisation's hooks; bad input unless {@code org} is a GitHub login (letters, digits, hyphens). */
    public static HookScope org(String org, String source) {
        String o = org == null ? "" : org.strip();
        if (!GitHubContext.isValidOwner(o)) {
            throw new BadInputException(source + " must be an organisation's login (letters, digits and hyphens), not '"
                    + o + "'");
        }
        return new HookScope(Kind.ORG, o);
    }

    public boolean isOrg() {
        return kind == Kind.ORG;
    }

    /** The REST path of the hooks collection: {@code /repos/OWNER/NAME/hooks} or {@code /orgs/ORG/hooks}. */
    public String hooksPath() {
        return (isOrg() ? "/orgs/" : "/repos/") + name + "/hooks";
    }

    /** The same owner, ignoring case as GitHub does. */
    public boolean matches(HookScope other) {
        return other != null && kind == other.kind && name.toLowerCase(Locale.ROOT).equals(other.name.toLowerCase(Locale.ROOT));
    }

    /** For messages: "octo-org/octo-repo" or "organisation octo-org". */
    public String describe() {
        return isOrg() ? "organisation " + name : name;
    }

    /** The flag that names this scope, as an operator would type it: "--repo o/r" or "--org o". */
    public String asFlag() {
        return (isOrg() ? "--org " : "--repo ") + name;
    }

    /**
     * The hook's settings page: {@code WEB/OWNER/NAME/settings/hooks/ID} for a repository,
     * {@code WEB/organizations/ORG/settings/hooks/ID} for an organisation.
     */
    public String settingsPage(String apiUrl, long id) {
        return isOrg() ? HookState.webUrl(apiUrl) + "/organizations/" + name + "/settings/hooks/" + id
                : HookState.settingsPage(apiUrl, name, id);
    }

    @Override
    public String toString() {
        return describe();
    }
}
