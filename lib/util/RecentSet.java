package lib.util;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A set that remembers at most {@code capacity} elements: one more forgets the element least recently added or
 * looked up. For the delivery ids a long-running poller has handed over, which would otherwise grow for as long as
 * it runs. A lookup keeps its element: a listing meets the newest id it handed over at every poll (where it stops),
 * and that one must outlive however many older ids come after it. Not thread-safe.
 */
public final class RecentSet<T> {
    private final Map<T, Boolean> elements;

    public RecentSet(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("a RecentSet remembers at least one element, not " + capacity);
        this.elements = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<T, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Whether the element is remembered; if so, it is now the most recent. */
    public boolean contains(T element) {
        return elements.get(element) != null;
    }

    /** Remembers the element as the most recent; false when it was remembered already. */
    public boolean add(T element) {
        return elements.put(element, Boolean.TRUE) == null;
    }

    public int size() {
        return elements.size();
    }
}
