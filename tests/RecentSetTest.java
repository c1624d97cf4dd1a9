import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import lib.util.RecentSet;
import org.junit.jupiter.api.Test;

/** The bounded memory of a long-running poller: the latest ids, however many it has seen. */
class RecentSetTest {
    @Test
    void pastItsCapacityItForgetsTheEldest() {
        RecentSet<Integer> set = new RecentSet<>(3);
        for (int i = 1; i <= 1000; i++) assertTrue(set.add(i));
        assertEquals(3, set.size());
        for (int i : List.of(998, 999, 1000)) assertTrue(set.contains(i), "remembered: " + i);
        for (int i : List.of(1, 500, 997)) assertFalse(set.contains(i), "forgotten: " + i);
        assertEquals(3, set.size());
    }

    /** A poll meets the newest id it handed over each time (where its listing stops): older ones added after it do not push it out. */
    @Test
    void anElementLookedUpIsKeptAsTheMostRecent() {
        RecentSet<String> set = new RecentSet<>(3);
        set.add("newest");
        for (int i = 0; i < 10; i++) {
            assertTrue(set.contains("newest"));
            set.add("older-" + i);
        }
        assertTrue(set.contains("newest"));
        assertFalse(set.contains("older-7"));
        assertEquals(3, set.size());
    }

    @Test
    void anElementAddedAgainIsNotNewAndTakesNoRoom() {
        RecentSet<Long> set = new RecentSet<>(2);
        assertTrue(set.add(1L));
        assertFalse(set.add(1L));
        assertTrue(set.add(2L));
        assertFalse(set.add(1L)); // now the most recent
        assertTrue(set.add(3L));
        assertTrue(set.contains(1L) && set.contains(3L) && !set.contains(2L));
    }
}
